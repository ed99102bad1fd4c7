import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser } from './factories/identity.js';
import { createPayable, installTestPayable } from './payments/support.js';
import { startTestApp, type TestApp } from './support/app.js';
import { launchChromium } from './support/browser.js';

/**
 * The Content-Security-Policy as a browser enforces it: strict everywhere, relaxed only where a page
 * needs it. A blocked style does not break a functional test, so violations are collected and asserted.
 */
describe('content security policy in a real browser', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp();
    await installTestPayable(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A page that records every CSP violation the browser reports (scripts as strings: no DOM types here). */
  async function watchedPage(): Promise<{ page: Page; violations: () => Promise<string[]> }> {
    const page = await browser.newPage();
    await page.addInitScript({
      content: `window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          window.__csp.push(e.effectiveDirective + ' ' + (e.blockedURI || 'inline')));`,
    });
    return { page, violations: () => page.evaluate<string[]>('window.__csp') };
  }

  test('the API gets the strict policy, and the browser enforces it', async () => {
    const api = await fetch(`${t.url}/api/centres`);
    const csp = api.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');

    // A page that tries inline script and style is refused by the browser.
    const { page, violations } = await watchedPage();
    await page.goto(`${t.url}/healthz`);
    await page.evaluate(`{
      const style = document.createElement('style');
      style.textContent = 'body { color: red }';
      document.head.append(style);
      const script = document.createElement('script');
      script.textContent = 'window.__ran = true';
      document.head.append(script);
    }`);
    await page.waitForTimeout(50);
    expect(await page.evaluate('window.__ran')).toBeUndefined();
    expect((await violations()).map((v) => v.split(' ')[0]).sort()).toEqual([
      'script-src-elem',
      'style-src-elem',
    ]);
    await page.close();
  });

  test('/docs renders Swagger UI, with inline styles allowed and inline scripts still refused', async () => {
    const { page, violations } = await watchedPage();
    const res = await page.goto(`${t.url}/docs`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("script-src 'self';");
    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
    expect(await violations()).toEqual([]);
    await page.close();
  });

  test('the sandbox checkout page may use its inline styles, and nothing else inline', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const { checkout } = await createPayable(t, patient.id, { amount: 49900 });
    const { page, violations } = await watchedPage();
    const res = await page.goto(t.url + new URL(checkout!.checkoutUrl!).pathname);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("script-src 'self';");
    // The inline stylesheet applied: the Pay button is green.
    expect(
      await page.evaluate(`getComputedStyle(document.querySelector('button.pay')).backgroundColor`),
    ).toBe('rgb(47, 133, 90)');
    expect(await violations()).toEqual([]);
    await page.close();
  });
});
