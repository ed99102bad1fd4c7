import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { expect } from 'vitest';
import type { TestApp } from '../support/app.js';

/**
 * What the browser journeys share: the build of the web app, screenshots with an axe-core check of
 * every page visited, signing in through the login page, client-side navigation.
 */
export const SHOTS = path.join(import.meta.dirname, 'screenshots');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Builds web/ into web/dist without emptying it first: another browser test file may be serving
 * web/dist at the same moment, and a page it loaded keeps finding its (hashed) assets. (web's Vite
 * config does the same under Vitest, for files that call `build` themselves.)
 */
export async function buildWeb() {
  await build({ root: 'web', mode: 'production', logLevel: 'warn', build: { emptyOutDir: false } });
  mkdirSync(SHOTS, { recursive: true });
}

export type Violation = { page: string; id: string; impact: string; nodes: string[] };

export function browserKit(app: () => TestApp, browser: () => Browser) {
  const violations: Violation[] = [];

  /** Runs axe-core in the page (evaluated, so the app's CSP does not block it) and keeps what is serious. */
  async function checkA11y(page: Page, label: string) {
    if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
    const found = await page.evaluate<Array<Omit<Violation, 'page'>>>(`(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    })()`);
    violations.push(...found.map((v) => ({ page: label, ...v })));
    expect(found, `${label}: ${JSON.stringify(found)}`).toEqual([]);
  }

  /** A screenshot of the whole page, and the accessibility check of what it shows. */
  async function visit(page: Page, name: string) {
    // Not 'networkidle': the live notification stream keeps a request open. Wait for the loading states.
    await expect.poll(() => page.locator('.loading').count(), { timeout: 15_000 }).toBe(0);
    await page.evaluate('document.fonts.ready.then(() => true)');
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    await checkA11y(page, name);
  }

  function newContext(opts: { timezoneId?: string; width?: number } = {}): Promise<BrowserContext> {
    return browser().newContext({
      timezoneId: opts.timezoneId ?? 'Asia/Kolkata',
      locale: 'en-IN',
      viewport: { width: opts.width ?? 1200, height: 900 },
    });
  }

  /** The newest login code sent to a phone (other messages, such as booking notices, are skipped). */
  async function codeFor(phone: string): Promise<string> {
    let code: string | undefined;
    await expect
      .poll(async () => {
        const inbox = await app().http.get(`/dev/inbox?to=${encodeURIComponent(phone)}`);
        const otp = (inbox.body as Array<{ template: string; body: string }>).find(
          (m) => m.template === 'otp_verification',
        );
        code = otp && /\b(\d{6})\b/.exec(otp.body)?.[1];
        return code;
      })
      .toMatch(/^\d{6}$/);
    return code!;
  }

  /** Signs in through the login page (the team's page when `staff`). */
  async function signIn(page: Page, phone: string, opts: { staff?: boolean } = {}) {
    if (!page.url().includes('/login')) await page.goto(`${app().url}/login${opts.staff ? '?staff=1' : ''}`);
    await page.getByLabel('Mobile number').fill(phone);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code').waitFor();
    await page.getByLabel('Code').fill(await codeFor(phone));
    await page.getByRole('button', { name: 'Verify' }).click();
  }

  /** Client-side navigation (a reload would end the in-memory session unless the cookie restores it). */
  async function go(page: Page, to: string) {
    await page.evaluate(
      `history.pushState(null, '', ${JSON.stringify(to)}); dispatchEvent(new PopStateEvent('popstate'))`,
    );
  }

  /** Pays in the sandbox checkout a link of `page` opens in a new tab, and closes that tab. */
  async function paySandboxTab(context: BrowserContext, open: () => Promise<unknown>) {
    const [checkout] = await Promise.all([context.waitForEvent('page'), open()]);
    await checkout.getByRole('button', { name: 'Pay' }).click();
    await checkout.getByRole('link', { name: 'Back to Carebook' }).click();
    // The tab that waits for this payment acknowledges it (booking, symptom checker and plans all do).
    await checkout.getByText('Done. You can close this tab').waitFor();
    await checkout.close();
  }

  const rows = async (sql: string, values: unknown[] = []) =>
    (await app().platform.pool.query(sql, values)).rows;

  return { violations, checkA11y, visit, newContext, codeFor, signIn, go, paySandboxTab, rows };
}
