import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookAndPay, localSlot } from '../factories/booking.js';
import {
  createBookableClinician,
  createListedClinicianByAdmin,
  setAvailability,
  setListing,
} from '../factories/catalog.js';
import { createUser, nextPhone } from '../factories/identity.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchChromium } from '../support/browser.js';
import { TestClock } from '../support/clock.js';
import { browserKit, buildWeb } from './browser-kit.js';

/**
 * The web app in a real browser against the real app, one journey per role (shared steps, the
 * screenshots and the axe-core check are in `browser-kit.ts`).
 * Each journey saves screenshots to test/e2e/screenshots/ (gitignored), and every page visited is
 * checked with axe-core for serious and critical accessibility violations.
 *
 * Nothing here reloads the page after signing in: the session lives in memory and comes back on a
 * reload only through the HttpOnly refresh cookie (set by the server since the security work).
 */
let t: TestApp;
let browser: Browser;
beforeAll(async () => {
  await buildWeb();
  // The browser computes dates from its own clock, so the server's clock starts at the real now.
  t = await startTestApp({ clock: new TestClock(new Date()) });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const { violations, visit, newContext, signIn, go } = browserKit(
  () => t,
  () => browser,
);

/**
 * Screens for APIs other branches are building check the server's OpenAPI document: each shows its
 * form when the API is there and says so in words when it is not, never a broken page.
 */
async function visitFeature(page: Page, to: string, heading: string, whenPresent: string, shot: string) {
  await go(page, to);
  await page.getByRole('heading', { name: heading, exact: true }).waitFor();
  await page.getByText(whenPresent).or(page.getByText('not available on this server yet')).first().waitFor();
  await visit(page, shot);
}

const rows = async (sql: string, values: unknown[] = []) => (await t.platform.pool.query(sql, values)).rows;

describe('patients in the web app', () => {
  test('a new patient finds a clinician, books and pays, gets the meet link live, adds it to a calendar, reschedules and cancels', async () => {
    const admin = await createUser(t, { role: 'admin' });
    // A London clinician seen from India: slots in the patient's zone, the clinician's zone named.
    const { clinician } = await createBookableClinician(t, admin, {
      specialization: 'Dermatologist',
      timeZone: 'Europe/London',
    });
    const phone = nextPhone();
    const context = await newContext();
    const page = await context.newPage();

    await page.goto(t.url);
    await page.getByRole('heading', { name: 'Find a clinician' }).waitFor();
    await page.getByLabel('Name or specialization').fill('nobody-has-this-name');
    await page.getByText('No clinicians match these filters').waitFor();
    await visit(page, 'patient-01-search-no-results');
    await page.getByLabel('Name or specialization').fill(clinician.fullName);
    await page.getByRole('link', { name: clinician.fullName, exact: true }).click();
    await page.getByText('This clinician works in Europe/London').waitFor();
    await visit(page, 'patient-02-clinician');

    // A slot at least two days ahead (outside the 24-hour window), chosen before signing in.
    const slot = page.locator('section.day').nth(3).locator('button.slot.available').first();
    await slot.click();
    await page.waitForURL(/\/login\?next=/);
    await visit(page, 'patient-03-login');
    await signIn(page, phone);
    // New patients are asked for their name and email.
    await page.getByLabel('Full name').fill('Meera Iyer');
    await page.getByLabel('Email').fill('meera@example.com');
    await page.getByRole('button', { name: 'Continue' }).click();

    // Back on the clinician's page with the same slot chosen.
    await page.getByRole('heading', { name: 'Book this appointment?' }).waitFor();
    await visit(page, 'patient-04-review');
    await page.getByRole('button', { name: 'Book and pay' }).click();
    await page.getByText(/Held for \d+:\d\d more/).waitFor();
    await visit(page, 'patient-05-held');

    // The checkout opens in a new tab; the booking tab learns the result without a reload.
    const [checkout] = await Promise.all([
      context.waitForEvent('page'),
      page.getByRole('link', { name: /Pay .* at the checkout/ }).click(),
    ]);
    await checkout.getByRole('button', { name: 'Pay' }).click();
    await checkout.getByRole('link', { name: 'Back to Carebook' }).click();
    await checkout.getByText('Done. You can close this tab').waitFor();
    await checkout.close();
    await page.getByRole('heading', { name: 'Your appointment is confirmed' }).waitFor();
    await visit(page, 'patient-06-confirmed');

    const [appt] = await rows(
      `select a.id, a.status from appointments a join users u on u.id = a.patient_id where u.phone = $1`,
      [phone],
    );
    expect(appt.status).toBe('CONFIRMED');
    expect(await rows(`select full_name, email from users where phone = $1`, [phone])).toEqual([
      { full_name: 'Meera Iyer', email: 'meera@example.com' },
    ]);

    // The meeting link is created by a job; the open page shows it without a reload.
    await page.getByRole('link', { name: 'See the appointment' }).click();
    await page.getByText('The video link appears here as soon as it is ready.').waitFor();
    await t.runJobs();
    const join = page.getByRole('link', { name: 'Join video call' });
    await join.waitFor({ timeout: 15_000 });
    expect(await join.getAttribute('href')).toMatch(/^https:\/\/meet\.jit\.si\//);
    await visit(page, 'patient-07-details');

    // Add to a calendar: an .ics download and a Google Calendar link.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download .ics' }).click(),
    ]);
    const ics = readFileSync((await download.path())!, 'utf8');
    expect(ics).toContain('BEGIN:VEVENT');
    expect(ics).toContain(`UID:${appt.id}@carebook`);
    expect(ics).toMatch(/DTSTART:\d{8}T\d{6}Z/);
    const google = await page.getByRole('link', { name: 'Google Calendar' }).getAttribute('href');
    expect(google).toMatch(/^https:\/\/calendar\.google\.com\/calendar\/render\?action=TEMPLATE/);

    // Receipt.
    await page.getByRole('link', { name: 'Receipt' }).click();
    await page.getByRole('heading', { name: 'Receipt' }).waitFor();
    await page.getByText('paid', { exact: true }).waitFor();
    await visit(page, 'patient-08-receipt');
    await page.getByRole('link', { name: 'Back' }).click();

    // Reschedule to another slot, with a confirmation.
    await page.getByText(/You can move or cancel this appointment until/).waitFor();
    const before = (await rows(`select starts_at from appointments where id = $1`, [appt.id]))[0].starts_at;
    await page.getByRole('button', { name: 'Move to another time' }).click();
    await page.locator('.reschedule section.day').nth(4).locator('button.slot.available').first().click();
    await visit(page, 'patient-09-reschedule');
    await page.getByRole('button', { name: 'Yes, move it' }).click();
    await page.getByText(/^Moved to /).waitFor();
    const after = (await rows(`select starts_at, status from appointments where id = $1`, [appt.id]))[0];
    expect(after.status).toBe('CONFIRMED');
    expect(after.starts_at.getTime()).toBeGreaterThan(before.getTime());

    // Cancel: the rule is explained before, a confirmation, then a success message with the refund.
    await page.getByRole('button', { name: 'Cancel appointment' }).click();
    await page.getByText('Cancel this appointment?').waitFor();
    await visit(page, 'patient-10-cancel-confirm');
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await page.getByText(/The appointment is cancelled\. .* is being refunded\./).waitFor();
    await page.locator('.appointment[data-status="CANCELLED"]').waitFor();
    await visit(page, 'patient-11-cancelled');
    expect((await rows(`select status from appointments where id = $1`, [appt.id]))[0].status).toBe(
      'CANCELLED',
    );

    await page.getByRole('link', { name: 'My appointments' }).click();
    await page.getByRole('button', { name: 'Past' }).click();
    await page.getByRole('button', { name: 'Upcoming' }).click();
    await page.getByText('No appointments here yet.').waitFor();
    await visit(page, 'patient-12-appointments');
    await context.close();
  }, 180_000);

  test("the search shows each clinician's next available slot in the patient's zone, with a link that books it", async () => {
    const admin = await createUser(t, { role: 'admin' });
    // Made by the admin with a bio and languages, which the search shows too.
    const london = await createListedClinicianByAdmin(t, admin, {
      phone: nextPhone(),
      fullName: 'Dr. Nisha Nextslot',
      specialization: 'Cardiologist',
      timeZone: 'Europe/London',
      languages: ['English', 'Hindi'],
      bio: 'Heart health and blood pressure, online from London.',
    });
    const everyDay = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' }));
    await setAvailability(t, admin, london.id, everyDay);
    const idle = await createUser(t, {
      role: 'clinician',
      fullName: 'Dr. Omar Nextslot',
      timeZone: 'Europe/London',
    });
    await setListing(t, admin, idle.id);
    const { startAt } = (await t.http.get(`/api/clinicians/${london.id}`)).body.nextAvailableSlot;

    const context = await newContext();
    const page = await context.newPage();
    await page.goto(t.url);
    await page.getByLabel('Name or specialization').fill('Nextslot');
    const card = page.locator('li.card', { hasText: 'Dr. Nisha Nextslot' });
    await card.getByText('Next available:').waitFor();
    // The instant as the patient (Kolkata) reads it, and as the London clinician would: they differ.
    const [mine, theirs] = await page.evaluate<[string, string]>(`(() => {
      const o = { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
      const at = new Date(${JSON.stringify(startAt)});
      return ['Asia/Kolkata', 'Europe/London'].map((timeZone) => new Intl.DateTimeFormat('en-IN', { ...o, timeZone }).format(at));
    })()`);
    expect(mine).not.toBe(theirs);
    await card.getByText('Languages: English, Hindi').waitFor();
    await card.getByText('Heart health and blood pressure, online from London.').waitFor();
    expect(await card.locator('.next-slot').textContent()).toBe(
      `Next available: ${mine} (your time), online Book this slot`,
    );
    const none = page.locator('li.card', { hasText: 'Dr. Omar Nextslot' }).locator('.next-slot');
    expect(await none.textContent()).toBe('No slots in the next 180 days');
    await visit(page, 'patient-09-search-next-slot');

    // A date: only clinicians with a free slot that day, each with its first free time; none -> a sentence.
    const day = startAt.slice(0, 10);
    await page.getByLabel('Date', { exact: true }).fill(day);
    const first = card.locator('.next-slot');
    await first.getByText('First free that day:').waitFor();
    expect(await first.textContent()).toMatch(
      /^First free that day: .+ \(your time\), online Book this slot$/,
    );
    expect(await first.getByRole('link', { name: /^Book this slot: Dr\. Nisha Nextslot, / }).count()).toBe(1);
    expect(await page.locator('li.card', { hasText: 'Dr. Omar Nextslot' }).count()).toBe(0);
    await visit(page, 'patient-09b-search-date');
    await page.getByLabel('Name or specialization').fill('Omar Nextslot');
    const onDay = await page.evaluate<string>(
      `new Intl.DateTimeFormat('en-IN', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(${JSON.stringify(`${day}T12:00:00Z`)}))`,
    );
    await page.getByText(`No clinician has a free slot on ${onDay}`).waitFor();
    await visit(page, 'patient-09c-search-date-none');
    // Clearing the date restores the list and its next-slot lines.
    await page.getByLabel('Date', { exact: true }).fill('');
    await none.waitFor();
    expect(await none.textContent()).toBe('No slots in the next 180 days');
    await page.getByLabel('Name or specialization').fill('Nextslot');
    await card.getByText('Next available:').waitFor();

    // The link opens the clinician's page with that slot chosen; signed out, it offers to sign in first.
    await card.getByRole('link', { name: `Book this slot: Dr. Nisha Nextslot, ${mine}` }).click();
    await page.getByRole('heading', { name: 'Sign in to book this time' }).waitFor();
    expect(new URL(page.url()).searchParams.get('slot')).toBe(startAt);
    expect(await page.locator('button.slot[aria-pressed="true"]').count()).toBe(1);
    const signInHref = await page
      .getByRole('link', { name: 'Sign in', exact: true })
      .last()
      .getAttribute('href');
    expect(decodeURIComponent(signInHref!)).toContain(`slot=${encodeURIComponent(startAt)}`);
    await visit(page, 'patient-10-next-slot-chosen');
    await context.close();
  });

  test('a returning patient signs in and edits the profile', async () => {
    const patient = await createUser(t, { role: 'patient', fullName: 'Ravi Kumar' });
    const context = await newContext({ width: 390 });
    const page = await context.newPage();
    await signIn(page, patient.phone);
    // Known patients go straight to their appointments, with no details step.
    await page.getByRole('heading', { name: 'My appointments' }).waitFor();
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Profile' }).click();
    await page.getByLabel('Full name').waitFor();
    expect(await page.getByLabel('Full name').inputValue()).toBe('Ravi Kumar');
    await page.getByLabel('Email').fill('ravi@example.com');
    await page.getByLabel('Date of birth').fill('1980-04-12');
    await page.getByLabel('City').fill('Chennai');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your profile is saved.').waitFor();
    await visit(page, 'returning-01-profile-390');

    const [row] = await rows(
      `select u.email, p.date_of_birth::text as dob, p.address->>'city' as city
         from users u join patient_profiles p on p.user_id = u.id where u.id = $1`,
      [patient.id],
    );
    expect(row).toEqual({ email: 'ravi@example.com', dob: '1980-04-12', city: 'Chennai' });
    // Nothing of the patient's is kept in browser storage.
    const storage = await page.evaluate<string>('JSON.stringify({ ...localStorage, ...sessionStorage })');
    expect(storage).not.toMatch(/ravi|Chennai|token|1980/i);
    // A reload keeps the session through the HttpOnly refresh cookie, which scripts cannot read.
    await page.reload();
    await page.getByLabel('Full name').waitFor();
    expect(await page.getByLabel('Full name').inputValue()).toBe('Ravi Kumar');
    expect(await page.evaluate<string>('document.cookie')).not.toContain('carebook_refresh');
    expect((await context.cookies()).map((c) => [c.name, c.httpOnly])).toContainEqual([
      'carebook_refresh',
      true,
    ]);

    await visitFeature(
      page,
      '/symptoms',
      'Symptom checker',
      'Describe your symptoms',
      'returning-02-symptoms',
    );
    await visitFeature(
      page,
      '/consultations',
      'My consultations',
      'No consultations yet',
      'returning-03-consultations',
    );
    await go(page, '/plans');
    await page.getByRole('heading', { name: 'Plans', exact: true }).waitFor();
    await page.locator('li.card h2').first().waitFor();
    await visit(page, 'returning-04-plans');
    await context.close();
  }, 120_000);

  test('unknown addresses show a not-found page; the header fits 390 px; Hindi is shipped', async () => {
    const context = await newContext({ width: 390 });
    const page = await context.newPage();
    await page.goto(`${t.url}/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    const header = await page.locator('header').boundingBox();
    expect(header!.height).toBeLessThan(70);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await visit(page, 'app-01-not-found-390');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByLabel('Language').selectOption('hi');
    await page.getByRole('heading', { name: 'पेज नहीं मिला' }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('hi');
    await visit(page, 'app-02-not-found-hindi');
    await page.goto(`${t.url}/`);
    await page.getByRole('heading', { name: 'डॉक्टर खोजें' }).waitFor();
    await visit(page, 'app-03-search-hindi');
    await context.close();
  }, 60_000);
});

describe('the clinic team in the web app', () => {
  test('front desk registers a walk-in and books an online slot for them', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const staff = await createUser(t, { role: 'staff', fullName: 'Desk Clerk' });
    const { clinician } = await createBookableClinician(t, admin, { specialization: 'Dermatologist' });
    const walkIn = nextPhone();
    const context = await newContext();
    const page = await context.newPage();
    // The strict CSP holds: a blocked inline style would not fail the steps below, so collect violations.
    await page.addInitScript({
      content: `window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.effectiveDirective));`,
    });

    await signIn(page, staff.phone, { staff: true });
    await page.getByRole('heading', { name: 'Front desk' }).waitFor();
    await visit(page, 'desk-01-home');
    await page.getByLabel("Patient's mobile number").fill(walkIn.slice(3));
    await page.getByRole('button', { name: 'Find patient' }).click();
    await page.getByLabel('Full name').fill('Lakshmi Menon');
    await page.getByRole('button', { name: 'Register patient' }).click();
    await page.getByText(/Booking for Lakshmi Menon/).waitFor();

    await page.getByLabel('Consultation mode').selectOption('online');
    await page.getByLabel('Clinician').selectOption({ label: `${clinician.fullName} · Dermatologist` });
    const firstSlot = page.locator('button.slot.available').first();
    await firstSlot.waitFor();
    const slotCount = await page.locator('button.slot.available').count();
    await visit(page, 'desk-02-slots');
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
    await visit(page, 'desk-03-held');

    const patient = await rows(`select id, role, full_name from users where phone = $1`, [walkIn]);
    expect(patient).toEqual([{ id: expect.any(String), role: 'patient', full_name: 'Lakshmi Menon' }]);
    const appts = await rows(
      `select patient_id, clinician_id, source, booked_by_user_id, status, mode from appointments
        where patient_id = $1`,
      [patient[0].id],
    );
    expect(appts).toEqual([
      {
        patient_id: patient[0].id,
        clinician_id: clinician.id,
        source: 'FRONT_DESK',
        booked_by_user_id: staff.id,
        status: 'PENDING_PAYMENT',
        mode: 'online',
      },
    ]);
    expect(await page.evaluate<string[]>('window.__csp')).toEqual([]);
    await context.close();
  }, 120_000);

  test('an admin lands on their own page, finds a paid appointment and refunds it by cancelling', async () => {
    const admin = await createUser(t, { role: 'admin', fullName: 'Asha Admin' });
    const { clinician } = await createBookableClinician(t, admin, { specialization: 'Cardiologist' });
    const patient = await createUser(t, { role: 'patient', fullName: 'Paid Patient' });
    const appt = await bookAndPay(t, patient, clinician.id, localSlot(t, 'Asia/Kolkata', 3, '10:00'));
    const context = await newContext();
    const page = await context.newPage();

    await signIn(page, admin.phone, { staff: true });
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await visit(page, 'admin-01-home');
    for (const [link, heading, shot] of [
      ['Clinicians', 'Clinicians', 'admin-02-clinicians'],
      ['Centres', 'Centres', 'admin-03-centres'],
      ['Users and roles', 'Users and roles', 'admin-04-users'],
      ['Reconciliation', 'Reconciliation', 'admin-05-reconciliation'],
      ['Audit log', 'Audit log', 'admin-06-audit'],
      ['Payments', 'Payments', 'admin-06b-payments'],
    ] as const) {
      await page.getByRole('link', { name: 'Admin', exact: true }).click();
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await visit(page, shot);
    }
    // The payments list (GET /api/admin/payments) shows the paid booking's payment.
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await page.getByRole('link', { name: 'Payments', exact: true }).click();
    await page.getByRole('combobox', { name: /^Status/ }).selectOption('SUCCEEDED');
    await page.getByText(appt.paymentId.slice(0, 8)).waitFor();
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await page.getByRole('link', { name: 'Appointments and payments' }).click();
    await page.getByRole('combobox', { name: /^Clinician/ }).selectOption({ label: clinician.fullName });
    await page.getByRole('combobox', { name: /^Payment/ }).selectOption('SUCCEEDED');
    const row = page.locator(`tr[data-status="CONFIRMED"]`);
    await row.waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await visit(page, 'admin-07-appointments');
    await row.getByRole('link').click();
    await page.getByText('Paid Patient').waitFor();
    await visit(page, 'admin-08-appointment');
    await page.getByRole('button', { name: 'Cancel and refund in full' }).click();
    // The cancel question's reason (the partial refund form, shown now that the view names its payment, has one too).
    await page.locator('section.confirm').getByLabel('Reason').fill('Clinician unavailable');
    await page.getByRole('button', { name: 'Yes, cancel' }).click();
    await page.getByText(/^Cancelled\. Refund of ₹500\.00/).waitFor();
    await visit(page, 'admin-09-refunded');
    await visitFeature(page, '/admin/ledger', 'Ledger', 'Totals', 'admin-10-ledger');

    const refunds = await rows(`select amount_minor, source from refunds where payment_id = $1`, [
      appt.paymentId,
    ]);
    expect(refunds).toEqual([{ amount_minor: 50_000, source: expect.any(String) }]);
    await context.close();
  }, 180_000);

  // Last: it moves the server's clock past the appointment's start.
  test('a clinician edits availability and marks an appointment completed', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const { clinician } = await createBookableClinician(t, admin, { specialization: 'Pediatrician' });
    const patient = await createUser(t, { role: 'patient', fullName: 'Ravi Day' });
    const startAt = localSlot(t, 'Asia/Kolkata', 1, '11:00');
    const appt = await bookAndPay(t, patient, clinician.id, startAt);
    t.clock.set(new Date(new Date(startAt).getTime() + 10 * 60_000));
    const context = await newContext();
    const page = await context.newPage();

    await signIn(page, clinician.phone, { staff: true });
    await page.getByRole('heading', { name: 'My day' }).waitFor();
    await page.getByRole('link', { name: 'Schedule' }).click();
    await page.getByRole('heading', { name: 'Weekly availability' }).waitFor();
    await visit(page, 'clinician-01-schedule');
    await page.getByRole('group', { name: 'Hours 7' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('group', { name: 'Hours 1' }).getByLabel('To').fill('18:00');
    await page.getByRole('button', { name: 'Save weekly hours' }).click();
    await page.getByText('Saved.').first().waitFor();
    await page.getByRole('button', { name: 'Add a shift' }).click();
    await page.getByRole('button', { name: 'Save shifts' }).click();
    await page.getByText('Saved.').nth(1).waitFor();
    await visit(page, 'clinician-02-schedule-saved');
    const rules = await rows(
      `select weekday, end_time::text as end from availability_rules where clinician_id = $1 order by weekday`,
      [clinician.id],
    );
    expect(rules.map((r) => r.weekday)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rules[0].end).toBe('18:00');

    await page.getByRole('link', { name: 'My day' }).click();
    const card = page.locator(`.appointment[data-status="CONFIRMED"]`);
    await card.waitFor();
    // The patient's name, not a reference, from the day's `patient.fullName`.
    await card.getByText('Ravi Day').waitFor();
    await visit(page, 'clinician-03-day');
    await card.getByRole('button', { name: 'Mark completed' }).click();
    await page.getByText('Marked as completed.').waitFor();
    await page.locator('.appointment[data-status="COMPLETED"]').waitFor();
    await visit(page, 'clinician-04-completed');
    expect((await rows(`select status from appointments where id = $1`, [appt.id]))[0].status).toBe(
      'COMPLETED',
    );
    await visitFeature(page, '/clinician/wallet', 'Wallet and earnings', 'available', 'clinician-05-wallet');
    await visitFeature(
      page,
      '/consultations',
      'Consultations',
      'Waiting to be taken',
      'clinician-06-consultations',
    );
    await context.close();
  }, 120_000);

  test('no page visited had a serious or critical accessibility violation', () => {
    expect(violations).toEqual([]);
  });
});
