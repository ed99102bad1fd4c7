import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { createBookableClinician } from '../factories/catalog.js';
import { createUser, nextPhone } from '../factories/identity.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchChromium } from '../support/browser.js';

/**
 * The whole patient journey in a real browser against the real app: sign in with a one-time code
 * read from the dev inbox, pick a clinician and a slot, pay on the sandbox checkout page, and see
 * the appointment confirmed.
 */
describe('patient journey in the web app', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    await build({ root: 'web', mode: 'production', logLevel: 'warn' });
    // The browser computes dates from its own clock, so the server's clock starts at the real now.
    t = await startTestApp({ clock: new ManualClock(new Date()) });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  test('sign in, book, pay, see it confirmed', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const { clinician } = await createBookableClinician(t, admin, { specialization: 'Dermatologist' });
    const phone = nextPhone();
    const page = await browser.newPage();

    await page.goto(`${t.url}/login`);
    await page.getByLabel('Mobile number').fill(phone);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code').waitFor();
    const inbox = await t.http.get(`/dev/inbox?to=${encodeURIComponent(phone)}`);
    const code = /\b(\d{6})\b/.exec(inbox.body[0].body)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    await page.getByLabel('Code').fill(code!);
    await page.getByLabel('Your name (first time only)').fill('Meera Iyer');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: /Sign out Meera Iyer/ }).waitFor();

    await page.getByRole('link', { name: clinician.fullName }).click();
    const firstSlot = page.locator('button.slot.available').first();
    await firstSlot.waitFor();
    await Promise.all([page.waitForURL(/\/sandbox\/checkout\//), firstSlot.click()]);
    await Promise.all([page.waitForURL(/\/done\?/), page.getByRole('button', { name: 'Pay' }).click()]);

    // Back in the app, the signed return is verified: confirmed before any webhook job has run.
    await page.getByRole('link', { name: 'Back to Carebook' }).click();
    await page.getByRole('heading', { name: 'Your appointment is confirmed' }).waitFor();
    await page.getByRole('link', { name: 'My appointments' }).last().click();
    const card = page.locator('li.appointment').first();
    await card.waitFor();
    expect(await card.getAttribute('data-status')).toBe('CONFIRMED');
    expect(await card.textContent()).toContain(clinician.fullName);
    // The webhook, delivered afterwards, changes nothing.
    await t.runJobs();
    await page.reload();
    expect(await page.locator('li.appointment').first().getAttribute('data-status')).toBe('CONFIRMED');
    await page.close();
  });
});
