import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { createBookableClinician } from '../factories/catalog.js';
import { createUser, nextPhone } from '../factories/identity.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchChromium } from '../support/browser.js';

/**
 * The web app in a real browser against the real app. One file, one build: every build empties
 * web/dist, which another file's app would be serving at the same moment.
 */
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

/**
 * The whole patient journey: sign in with a one-time code read from the dev inbox, pick a clinician
 * and a slot, pay on the sandbox checkout page, and see the appointment confirmed.
 */
describe('patient journey in the web app', () => {
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

/**
 * A front-desk clerk signs in with a code from the dev inbox, registers a walk-in patient and books a
 * paid online slot for them, which is held until paid.
 */
describe('front desk in the web app', () => {
  test('staff sign in, register a walk-in and book an online slot for them', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const staff = await createUser(t, { role: 'staff', fullName: 'Desk Clerk' });
    const { clinician } = await createBookableClinician(t, admin, { specialization: 'Dermatologist' });
    const walkIn = nextPhone();
    const page = await browser.newPage();
    // The strict CSP holds: a blocked inline style would not fail the steps below, so collect violations.
    await page.addInitScript({
      content: `window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.effectiveDirective));`,
    });

    await page.goto(`${t.url}/login`);
    await page.getByRole('button', { name: 'I am a clinician or staff member' }).click();
    await page.getByLabel('Mobile number').fill(staff.phone);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code').waitFor();
    const inbox = await t.http.get(`/dev/inbox?to=${encodeURIComponent(staff.phone)}`);
    const code = /\b(\d{6})\b/.exec(inbox.body[0].body)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    await page.getByLabel('Code').fill(code!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: /Sign out Desk Clerk/ }).waitFor();
    await page.getByRole('link', { name: 'Front desk' }).click();

    await page.getByLabel("Patient's mobile number").fill(walkIn.slice(3));
    await page.getByRole('button', { name: 'Find patient' }).click();
    await page.getByLabel('Full name').fill('Lakshmi Menon');
    await page.getByRole('button', { name: 'Register patient' }).click();
    await page.getByText('Booking for Lakshmi Menon').waitFor();

    await page.getByLabel('Mode').selectOption('online');
    await page.getByLabel('Clinician').selectOption({ label: `${clinician.fullName} · Dermatologist` });
    const firstSlot = page.locator('button.slot.available').first();
    await firstSlot.waitFor();
    const slotCount = await page.locator('button.slot.available').count();
    await firstSlot.click();

    const booked = page.locator('.booked');
    await booked.waitFor();
    expect(await booked.getAttribute('data-status')).toBe('PENDING_PAYMENT');
    expect(await booked.textContent()).toContain('not booked until paid');
    const checkout = await page
      .getByRole('link', { name: 'Open the checkout with the patient' })
      .getAttribute('href');
    expect(checkout).toMatch(/\/sandbox\/checkout\//);
    // The held slot is no longer offered.
    await expect.poll(() => page.locator('button.slot.available').count()).toBe(slotCount - 1);

    const patient = await t.platform.pool.query(`select id, role, full_name from users where phone = $1`, [
      walkIn,
    ]);
    expect(patient.rows).toEqual([{ id: expect.any(String), role: 'patient', full_name: 'Lakshmi Menon' }]);
    const appts = await t.platform.pool.query(
      `select patient_id, clinician_id, source, booked_by_user_id, status, mode from appointments
        where patient_id = $1`,
      [patient.rows[0].id],
    );
    expect(appts.rows).toEqual([
      {
        patient_id: patient.rows[0].id,
        clinician_id: clinician.id,
        source: 'FRONT_DESK',
        booked_by_user_id: staff.id,
        status: 'PENDING_PAYMENT',
        mode: 'online',
      },
    ]);
    expect(await page.evaluate<string[]>('window.__csp')).toEqual([]);
    await page.close();
  });
});
