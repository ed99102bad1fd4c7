import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookAndPay, bookableClinician, localSlot } from '../factories/booking.js';
import { createBookableClinician } from '../factories/catalog.js';
import { CHEST_PAIN, createService, SORE_THROAT, setShifts } from '../factories/consultations.js';
import { createUser, nextPhone } from '../factories/identity.js';
import { type FakeServer, startFakeServer } from '../fakes/http-server.js';
import { hmacHex, RAZORPAY_WEBHOOK_SECRET } from '../payments/events.js';
import { fakeRazorpay, KEY_ID, KEY_SECRET } from '../payments/fake-razorpay.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchChromium } from '../support/browser.js';
import { browserKit, buildWeb } from './browser-kit.js';

/**
 * Issue 15's care journeys in a real browser against the real app: the symptom checker to a doctor
 * who chats live while the patient's credits go down, a red flag that stops at emergency guidance,
 * a GOPD visit paid in cash at the desk, and an admin refund with the ledger still balanced.
 * Screenshots go to test/e2e/screenshots/ (gitignored); every page visited is checked with axe-core.
 */
let t: TestApp;
let browser: Browser;
const kit = browserKit(
  () => t,
  () => browser,
);
const { visit, newContext, signIn, go, paySandboxTab, rows } = kit;

beforeAll(async () => {
  await buildWeb();
  t = await startAtNow();
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/**
 * The browser computes dates from its own clock, so the server's clock is set to the real now before
 * anything happens (set rather than passed in: the test clock's class is being reworked elsewhere).
 */
async function startAtNow(opts: Parameters<typeof startTestApp>[0] = {}) {
  const app = await startTestApp(opts);
  app.clock.set(new Date());
  return app;
}

/** The online services the symptom checker sells, and the desk's GOPD service (paid BEFORE). */
async function priceServices(admin: Parameters<typeof createService>[1]) {
  const online = [
    ['CHAT', 'Chat', 'ONLINE_CHAT', 19_900],
    ['VIDEO', 'Video', 'ONLINE_VIDEO', 29_900],
    ['EMERGENCY', 'Priority', 'ONLINE_EMERGENCY', 49_900],
    ['GOPD', 'General OPD', 'GOPD_CONSULT', 30_000],
  ] as const;
  for (const [code, name, workflowType, amount] of online)
    await createService(t, admin, { code, name, workflowType, price: { amount, currency: 'INR' } });
}

describe('care journeys in the web app', () => {
  test('the symptom checker ends with an assigned doctor who activates it and chats live while credits go down', async () => {
    const admin = await createUser(t, { role: 'admin' });
    await priceServices(admin);
    const doctor = await bookableClinician(t, { fullName: 'Dr. Kavya Rao' });
    await setShifts(t, admin, doctor.id);
    const patient = await createUser(t, { role: 'patient', fullName: 'Arjun Nair' });

    const pc = await newContext();
    const p = await pc.newPage();
    await signIn(p, patient.phone);
    await p.getByRole('heading', { name: 'My appointments' }).waitFor();

    // A plan first: its chat credits pay for the instant chat below.
    await go(p, '/plans');
    const standard = p.locator('li.card', { has: p.getByRole('heading', { name: 'Standard', exact: true }) });
    await standard.getByRole('button', { name: 'Choose this plan' }).click();
    await paySandboxTab(pc, () => p.getByRole('link', { name: /Pay .* at the checkout/ }).click());
    const plan = p.getByText(/^Your plan: .* credits: \d+ chat/);
    await plan.waitFor({ timeout: 15_000 });
    const creditsAtStart = Number(/credits: (\d+) chat/.exec((await plan.textContent()) ?? '')?.[1]);
    expect(creditsAtStart).toBeGreaterThan(2);
    await visit(p, 'care-01-plan-bought');

    // Symptoms -> assessment -> chat -> pay -> detailed symptoms -> the doctor on shift.
    await go(p, '/symptoms');
    await p.getByLabel('Describe your symptoms in your own words').fill(SORE_THROAT.description);
    await p.getByLabel('For how many days?').fill('2');
    await p.getByRole('button', { name: 'Check my symptoms' }).click();
    await p.getByRole('heading', { name: 'Assessment' }).waitFor();
    expect(await p.locator('.assessment').getAttribute('data-urgency')).not.toBe('emergency');
    await p.locator('.disclaimer').waitFor();
    await visit(p, 'care-02-assessment');
    await p.getByRole('button', { name: 'Chat with a doctor' }).click();
    await paySandboxTab(pc, () => p.getByRole('link', { name: /Pay .* at the checkout/ }).click());
    await p.getByRole('heading', { name: 'Tell the doctor more' }).waitFor();
    await visit(p, 'care-03-paid-detail');
    await p
      .getByLabel(/Your symptoms in detail/)
      .fill('Sore throat since Sunday, worse when swallowing; no fever; I take no medicines.');
    await p.getByRole('button', { name: 'Send to the doctor' }).click();
    await p.getByText('Dr. Kavya Rao will see you.').waitFor();
    await visit(p, 'care-04-assigned');
    const [consultation] = await rows(
      `select id, doctor_id as "doctorId", status from consultations where patient_id = $1`,
      [patient.id],
    );
    expect(consultation).toMatchObject({ doctorId: doctor.id });
    await p.getByRole('link', { name: 'Open the consultation' }).click();
    await p.getByRole('heading', { name: 'Consultation', exact: true }).waitFor();

    // The doctor, in a second browser context, opens it from their list and starts it.
    const dc = await newContext();
    const d = await dc.newPage();
    await signIn(d, doctor.phone, { staff: true });
    await d.getByRole('heading', { name: 'My day' }).waitFor();
    await d.getByRole('link', { name: 'Consultations' }).click();
    await d.getByRole('heading', { name: 'Consultations', exact: true }).waitFor();
    await d.locator(`li[data-status="${consultation.status}"] a`).first().click();
    await d.getByRole('button', { name: 'Start the consultation' }).click();
    await d.getByRole('button', { name: 'Close the consultation' }).waitFor();
    await visit(d, 'care-05-doctor-activated');
    expect((await rows(`select status from consultations where id = $1`, [consultation.id]))[0].status).toBe(
      'ACTIVE',
    );

    // The patient sees it active and starts the chat with that doctor from the plan's credits.
    await p.getByRole('button', { name: 'Chat now from your plan credits' }).click({ timeout: 20_000 });
    await p.getByRole('heading', { name: 'Session' }).waitFor();
    await p.getByLabel('Message').fill('Hello doctor, my throat hurts when I swallow.');
    await p.getByRole('button', { name: 'Send' }).click();
    await p.getByText('Hello doctor, my throat hurts when I swallow.').waitFor();

    // The doctor learns of it live (badge, notification with a link), accepts, and answers.
    await d.getByRole('link', { name: /Notifications, [1-9]\d* unread/ }).click({ timeout: 15_000 });
    await d.getByRole('link', { name: 'Open the chat' }).first().click();
    await d.getByText('Hello doctor, my throat hurts when I swallow.').waitFor();
    await d.getByRole('button', { name: 'Accept the chat' }).click();
    await d.getByText('1 block charged').waitFor();
    t.clock.advance(30_000); // the answer comes after the question (messages are ordered by time)
    await d.getByLabel('Message').fill('Warm salt-water gargles, and tell me if a fever starts.');
    await d.getByRole('button', { name: 'Send' }).click();
    await visit(d, 'care-06-doctor-chat');

    // The patient reads the answer without a reload; one block charged from the credits.
    const credits = p.locator('.credits');
    await p.getByText('Warm salt-water gargles, and tell me if a fever starts.').waitFor();
    await expect
      .poll(async () => credits.textContent(), { timeout: 20_000 })
      .toContain(`Credits left: ${creditsAtStart - 1} chat`);
    await visit(p, 'care-07-patient-chat');

    // The next block starts when its time comes (the server's clock moved, the tick job run).
    t.clock.advance(10 * 60_000 + 1000);
    await t.platform.jobs.send({ name: 'sessions.tick', queue: {} }, {});
    await t.runJobs({ names: ['sessions.tick'] });
    await expect
      .poll(async () => credits.textContent(), { timeout: 20_000 })
      .toContain(`Credits left: ${creditsAtStart - 2} chat`);
    await d.getByText('2 blocks charged').waitFor({ timeout: 20_000 });
    await d.getByRole('button', { name: 'End the chat' }).click();
    await d.locator('[data-status="ENDED"]').waitFor();
    await visit(d, 'care-08-chat-ended');
    const [session] = await rows(
      `select status, blocks_charged as "blocks", funding from sessions where patient_id = $1`,
      [patient.id],
    );
    expect(session).toMatchObject({ status: 'ENDED', blocks: 2 });

    // The doctor's wallet names its entries in words (English and Hindi), never the ledger's kinds.
    await d.getByRole('link', { name: 'Wallet', exact: true }).click();
    await d.getByRole('heading', { name: 'Wallet and earnings' }).waitFor();
    const entries = d.locator('.wallet-entries');
    await entries.getByText('Chat session earning').first().waitFor();
    expect(await entries.textContent()).not.toMatch(/_|block_earning/);
    await visit(d, 'care-09-doctor-wallet');
    await d.getByLabel('Language').selectOption('hi');
    await entries.getByText('चैट सत्र की कमाई').first().waitFor();
    await visit(d, 'care-10-doctor-wallet-hindi');
    await pc.close();
    await dc.close();
  }, 240_000);

  test('a red-flag description shows emergency guidance and no payment step', async () => {
    const patient = await createUser(t, { role: 'patient', fullName: 'Suresh Pillai' });
    const c = await newContext();
    const p = await c.newPage();
    await signIn(p, patient.phone);
    await p.getByRole('heading', { name: 'My appointments' }).waitFor();
    await go(p, '/symptoms');
    await p.getByLabel('Describe your symptoms in your own words').fill(CHEST_PAIN.description);
    await p.getByLabel('Age', { exact: true }).fill(String(CHEST_PAIN.age));
    await p.getByRole('button', { name: 'Check my symptoms' }).click();
    const alert = p.getByRole('alert');
    await alert.getByRole('heading', { name: 'This may be an emergency' }).waitFor();
    expect(await alert.textContent()).toContain('112');
    expect(await alert.getByRole('link', { name: 'Call 112' }).getAttribute('href')).toBe('tel:112');
    expect(await p.locator('.assessment').getAttribute('data-urgency')).toBe('emergency');
    await visit(p, 'emergency-01-guidance');
    // No way to pay or book from here: no consultation choice, no checkout.
    expect(await p.getByRole('heading', { name: 'Talk to a doctor' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: /Chat with a doctor|Video call with a doctor/ }).count()).toBe(
      0,
    );
    expect(await p.getByRole('link', { name: /Pay .* at the checkout/ }).count()).toBe(0);
    expect(await rows(`select id from payments where patient_id = $1`, [patient.id])).toEqual([]);
    await c.close();
  }, 60_000);

  test('front desk registers a GOPD visit paid BEFORE and takes cash', async () => {
    const admin = await createUser(t, { role: 'admin' });
    if ((await rows(`select 1 from service_catalog where code = 'GOPD'`)).length === 0)
      await priceServices(admin);
    const staff = await createUser(t, { role: 'staff', fullName: 'Desk Clerk' });
    const walkIn = nextPhone();
    const c = await newContext();
    const p = await c.newPage();
    await signIn(p, staff.phone, { staff: true });
    await p.getByRole('heading', { name: 'Front desk' }).waitFor();
    await p.getByLabel("Patient's mobile number").fill(walkIn.slice(3));
    await p.getByRole('button', { name: 'Find patient' }).click();
    await p.getByLabel('Full name').fill('Fatima Sheikh');
    await p.getByRole('button', { name: 'Register patient' }).click();
    await p.getByText(/Booking for Fatima Sheikh/).waitFor();

    await p.getByRole('heading', { name: 'Register a visit' }).waitFor();
    await p.getByLabel('Service').selectOption({ label: 'General OPD · ₹300.00' });
    await p.getByLabel('Chief complaint (optional)').fill('Fever and body ache');
    await p.getByRole('button', { name: 'Register visit' }).click();
    await p.getByLabel('Payment method').selectOption('CASH');
    await visit(p, 'desk-visit-01-registered');
    const [patient] = await rows(`select id from users where phone = $1`, [walkIn]);
    const [before] = await rows(
      `select id, status, payment_status as "paymentStatus", bill_timing as "billTiming" from visits where patient_id = $1`,
      [patient.id],
    );
    expect(before).toMatchObject({ billTiming: 'BEFORE', paymentStatus: 'UNPAID' });
    expect(await rows(`select id from consultations where visit_id = $1`, [before.id])).toEqual([]);

    await p.getByRole('button', { name: 'Take ₹300.00' }).click();
    await p.getByText('₹300.00 received.').waitFor();
    await p.locator('.day-visits li', { hasText: 'General OPD' }).waitFor();
    await visit(p, 'desk-visit-02-paid');
    const [after] = await rows(
      `select payment_status as "paymentStatus", payment_type as "paymentType" from visits where id = $1`,
      [before.id],
    );
    expect(after).toEqual({ paymentStatus: 'PAID', paymentType: 'CASH' });
    expect(await rows(`select source from consultations where visit_id = $1`, [before.id])).toEqual([
      { source: 'gopd' },
    ]);
    await c.close();
  }, 90_000);

  test('an admin refunds a paid appointment and sees the trial balance at zero', async () => {
    const admin = await createUser(t, { role: 'admin', fullName: 'Asha Admin' });
    const doctor = await bookableClinician(t, { fullName: 'Dr. Refund Case' });
    const patient = await createUser(t, { role: 'patient', fullName: 'Refund Patient' });
    const appt = await bookAndPay(t, patient, doctor.id, localSlot(t, 'Asia/Kolkata', 3, '10:00'));
    const c = await newContext();
    const p = await c.newPage();
    await signIn(p, admin.phone, { staff: true });
    await p.getByRole('heading', { name: 'Administration' }).waitFor();
    await go(p, `/admin/appointments/${appt.id}`);
    await p.getByText('Refund Patient').waitFor();
    await p.getByRole('button', { name: 'Cancel and refund in full' }).click();
    await p.getByLabel('Reason').first().fill('Doctor on leave');
    await p.getByRole('button', { name: 'Yes, cancel' }).click();
    await p.getByText(/^Cancelled\. Refund of ₹500\.00/).waitFor();
    await visit(p, 'admin-refund-01-done');
    expect(await rows(`select amount_minor from refunds where payment_id = $1`, [appt.paymentId])).toEqual([
      { amount_minor: 50_000 },
    ]);
    await t.runJobs();

    await p.getByRole('link', { name: 'Ledger' }).click();
    await p.getByRole('heading', { name: 'Ledger', exact: true }).waitFor();
    const totals = p.locator('p.totals');
    await totals.waitFor();
    expect(await totals.getAttribute('data-balanced')).toBe('true');
    // Every currency and credit unit sums to zero.
    expect(await totals.textContent()).toMatch(
      /^Totals: (0 credits|₹0\.00)( · (0 credits|₹0\.00))* — balanced/,
    );
    await visit(p, 'admin-refund-02-ledger');
    const tb = await t.http.get('/api/admin/ledger/trial-balance', { token: admin.token });
    expect(tb.body.balanced).toBe(true);
    for (const x of tb.body.totals) expect(x).toMatchObject({ posted: 0, pending: 0 });
    await c.close();
  }, 90_000);

  test('no page visited had a serious or critical accessibility violation', () => {
    expect(kit.violations).toEqual([]);
  });
});

/**
 * Razorpay Checkout offline: the app runs with Razorpay configured against a local stand-in for
 * Razorpay's API, and the browser gets checkout.js from a local test server (the request still goes
 * to checkout.razorpay.com as far as the page and its CSP know). The stand-in widget records the
 * options it was opened with and answers like the real one: a payment of the order, signed with
 * the key secret.
 */
describe('Razorpay Checkout in the web app', () => {
  const RAZORPAY_JS = 'https://checkout.razorpay.com/v1/checkout.js';
  let rt: TestApp;
  let razorpayApi: FakeServer;
  let checkoutJs: FakeServer;
  const fake = fakeRazorpay();
  const rk = browserKit(
    () => rt,
    () => browser,
  );

  beforeAll(async () => {
    razorpayApi = await startFakeServer(fake.handler);
    rt = await startAtNow({
      env: {
        PAYMENT_PROVIDER: 'razorpay',
        RAZORPAY_KEY_ID: KEY_ID,
        RAZORPAY_KEY_SECRET: KEY_SECRET,
        RAZORPAY_WEBHOOK_SECRET,
        RAZORPAY_API_URL: razorpayApi.url,
      },
    });
    checkoutJs = await startFakeServer(async () => {
      const [order] = (
        await rt.platform.pool.query(
          `select order_id as "orderId" from payments where provider = 'razorpay' order by created_at desc limit 1`,
        )
      ).rows;
      const paid = fake.pay(order.orderId);
      const signature = hmacHex(KEY_SECRET, `${order.orderId}|${paid.id}`);
      return {
        status: 200,
        headers: { 'content-type': 'application/javascript' },
        body: `window.Razorpay = function (options) {
          window.__razorpay = { options: JSON.parse(JSON.stringify(options)), opened: false };
          this.on = function () {};
          this.open = function () {
            window.__razorpay.opened = true;
            options.handler({ razorpay_payment_id: ${JSON.stringify(paid.id)},
              razorpay_order_id: options.order_id, razorpay_signature: ${JSON.stringify(signature)} });
          };
        };`,
      };
    });
  }, 120_000);
  afterAll(async () => {
    await rt?.close();
    await razorpayApi?.close();
    await checkoutJs?.close();
  });

  /** A Content-Security-Policy header as directive -> sources. */
  const policyOf = async (url: string) =>
    Object.fromEntries(
      ((await fetch(url)).headers.get('content-security-policy') ?? '')
        .split(';')
        .filter(Boolean)
        .map((d) => {
          const [name, ...sources] = d.trim().split(/\s+/);
          return [name, sources.join(' ')];
        }),
    );

  test("the app's page allows exactly Razorpay's script, frames and API; the API keeps the strict policy", async () => {
    const page = await policyOf(`${rt.url}/clinicians`);
    expect(page).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self' https://checkout.razorpay.com",
      'frame-src': "'self' https://api.razorpay.com https://checkout.razorpay.com",
      'connect-src': "'self' https://api.razorpay.com https://lumberjack.razorpay.com",
      'style-src': "'self'",
      'frame-ancestors': "'none'",
    });
    expect(Object.values(page).join(' ')).not.toContain('unsafe');
    const api = await policyOf(`${rt.url}/api/centres`);
    expect(api['script-src']).toBe("'self'");
    expect(Object.values(api).join(' ')).not.toContain('razorpay');
    // Without Razorpay configured the app's page is as strict as the API.
    const plain = await policyOf(`${t.url}/clinicians`);
    expect(plain['script-src']).toBe("'self'");
    expect(Object.values(plain).join(' ')).not.toContain('razorpay');
  });

  test('a patient pays a booking in the Razorpay widget opened with the order and key id', async () => {
    const admin = await createUser(rt, { role: 'admin' });
    const { clinician } = await createBookableClinician(rt, admin, { specialization: 'Dermatologist' });
    const patient = await createUser(rt, { role: 'patient', fullName: 'Nisha Verma' });
    const c = await rk.newContext();
    const p = await c.newPage();
    await p.addInitScript({
      content: `window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI));`,
    });
    await p.route(RAZORPAY_JS, async (route) =>
      route.fulfill({ response: await route.fetch({ url: `${checkoutJs.url}/v1/checkout.js` }) }),
    );
    await p.goto(`${rt.url}/clinicians/${clinician.id}`);
    await p.locator('section.day').nth(3).locator('button.slot.available').first().click();
    await p.waitForURL(/\/login\?next=/);
    await rk.signIn(p, patient.phone);
    await p.getByRole('heading', { name: 'Book this appointment?' }).waitFor();
    await p.getByRole('button', { name: 'Book and pay' }).click();
    const pay = p.getByRole('button', { name: 'Pay ₹500.00 with Razorpay' });
    await pay.waitFor();
    await rk.visit(p, 'razorpay-01-held');
    const [payment] = await rk.rows(
      `select order_id as "orderId", amount_minor as amount from payments where patient_id = $1`,
      [patient.id],
    );
    await pay.click();
    await p.getByRole('heading', { name: 'Your appointment is confirmed' }).waitFor();
    await rk.visit(p, 'razorpay-02-confirmed');
    expect(await p.evaluate('window.__razorpay')).toEqual({
      opened: true,
      options: expect.objectContaining({
        key: KEY_ID,
        order_id: payment.orderId,
        amount: payment.amount,
        currency: 'INR',
        name: 'Carebook',
      }),
    });
    expect(await p.evaluate<string[]>('window.__csp')).toEqual([]);
    expect(
      await rk.rows(
        `select a.status, p.status as payment from appointments a join payments p on p.payable_id = a.id
          where a.patient_id = $1`,
        [patient.id],
      ),
    ).toEqual([{ status: 'CONFIRMED', payment: 'SUCCEEDED' }]);
    await c.close();
  }, 90_000);

  test('no Razorpay page had a serious or critical accessibility violation', () => {
    expect(rk.violations).toEqual([]);
  });
});
