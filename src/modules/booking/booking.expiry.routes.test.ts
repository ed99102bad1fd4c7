import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookableClinician, initiate, localSlot, renewTokens } from '../../../test/factories/booking.js';
import { createUser } from '../../../test/factories/identity.js';
import { razorpayEvent, stripeEvent } from '../../../test/payments/events.js';
import { type PaymentsApp, startPaymentsApp } from '../../../test/payments/support.js';
import type { TestApp } from '../../../test/support/app.js';
import { captureJob, expireJob, sandboxDeliverJob } from '../payments/payments.jobs.js';

/**
 * Issue 12, item 2: a hold's expiry asks the gateway before it releases the slot. Money taken
 * before the expiry confirms the booking whenever its webhook arrives; a gateway that does not
 * answer keeps the slot held and the expiry retried.
 */
describe('a hold lapsing while its payment is open asks the gateway first', () => {
  let app: PaymentsApp<{ stripe: true; razorpay: true }>;
  let t: TestApp;
  let doc: Awaited<ReturnType<typeof bookableClinician>>;
  beforeAll(async () => {
    app = await startPaymentsApp({ stripe: true, razorpay: true });
    t = app.t;
    doc = await bookableClinician(t, { feeMinor: 50_000 });
  });
  afterAll(() => app?.close());

  const q = async (sql: string, values: unknown[]) => (await t.platform.pool.query(sql, values)).rows;
  const appointment = async (id: string) =>
    (await q('select status, payment_open from appointments where id = $1', [id]))[0];
  const payment = async (id: string) =>
    (await q('select status, late_outcome from payments where id = $1', [id]))[0];
  const refunds = async (paymentId: string) =>
    (await q('select count(*)::int as n from refunds where payment_id = $1', [paymentId]))[0].n;

  /** A hold for a new patient, then the clock moved past its expiry (15 minutes) and tokens renewed. */
  async function lapsedHold(
    hhmm: string,
    provider: 'sandbox' | 'stripe' | 'razorpay',
    pay?: (orderId: string) => unknown,
  ) {
    const patient = await createUser(t, { role: 'patient' });
    const startAt = localSlot(t, doc.timeZone, 3, hhmm);
    const held = await initiate(t, patient, {
      clinicianId: doc.id,
      startAt,
      provider,
    });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    t.clock.advanceMinutes(10);
    await pay?.(held.body.payment.orderId);
    t.clock.advanceMinutes(6);
    const rival = await createUser(t, { role: 'patient' });
    await renewTokens(t, app.patient);
    return {
      id: held.body.appointment.id as string,
      paymentId: held.body.payment.paymentId as string,
      orderId: held.body.payment.orderId as string,
      startAt,
      rival,
    };
  }

  test('sandbox: paid 6 minutes before the expiry, webhook not yet delivered -> the expiry confirms; the webhook later is a no-op', async () => {
    const h = await lapsedHold('09:00', 'sandbox', async (orderId) => {
      const pay = await fetch(`${t.url}/sandbox/checkout/${orderId}/pay`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect(pay.status).toBe(303);
    });
    // A rival cannot take the slot while the gateway has not been asked.
    expect((await initiate(t, h.rival, { clinicianId: doc.id, startAt: h.startAt })).status).toBe(409);
    await t.runJobs({ names: ['booking.expire-holds'] });
    expect(await appointment(h.id)).toMatchObject({ status: 'PENDING_PAYMENT', payment_open: true });

    expect(await t.runJobs({ names: [expireJob.name] })).toBeGreaterThan(0);
    expect(await appointment(h.id)).toMatchObject({ status: 'CONFIRMED', payment_open: false });
    expect(await payment(h.paymentId)).toEqual({ status: 'SUCCEEDED', late_outcome: null });
    // Recorded as paid when the patient paid (the sandbox's time), inside the hold.
    const [onTime] = await q(
      `select p.paid_at < a.hold_expires_at as inside from payments p join appointments a on a.payment_id = p.id where p.id = $1`,
      [h.paymentId],
    );
    expect(onTime.inside).toBe(true);

    await t.runJobs({ names: [sandboxDeliverJob.name] });
    const events = await q(
      `select outcome from webhook_events where provider = 'sandbox' and payload::text like $1`,
      [`%${h.orderId}%`],
    );
    expect(events.map((e) => e.outcome)).toEqual(['already_paid']);
    expect(await refunds(h.paymentId)).toBe(0);
    expect((await initiate(t, h.rival, { clinicianId: doc.id, startAt: h.startAt })).status).toBe(409);
  });

  test('Stripe: the session was paid before the expiry, no webhook -> retrieve says paid -> confirmed, later webhook a no-op', async () => {
    const { fake } = app.stripe;
    const h = await lapsedHold('10:00', 'stripe', (orderId) => fake.pay(orderId));
    await t.runJobs({ names: [expireJob.name] });
    expect(await appointment(h.id)).toMatchObject({ status: 'CONFIRMED' });
    const session = fake.sessions.get(h.orderId)!;
    // The webhook Stripe sent when the patient paid (created then), arriving after the expiry.
    const ev = stripeEvent(t.clock, 'checkout.session.completed', session);
    const res = await fetch(`${t.url}/api/payment/webhook/stripe`, { method: 'POST', ...ev });
    expect(res.status).toBe(200);
    expect(await payment(h.paymentId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await refunds(h.paymentId)).toBe(0);
  });

  test('Stripe: a webhook created before the expiry but delivered after it is on time, not late money', async () => {
    const { fake } = app.stripe;
    let event: ReturnType<typeof stripeEvent> | null = null;
    const h = await lapsedHold('10:30', 'stripe', (orderId) => {
      // Stripe creates the event when the patient pays; it is delivered 6 minutes later (signed then).
      const sentAt = Math.floor(t.clock.now().getTime() / 1000) + 6 * 60;
      event = stripeEvent(t.clock, 'checkout.session.completed', fake.pay(orderId), { timestamp: sentAt });
    });
    const res = await fetch(`${t.url}/api/payment/webhook/stripe`, { method: 'POST', ...event! });
    expect(res.status).toBe(200);
    expect(await appointment(h.id)).toMatchObject({ status: 'CONFIRMED' });
    expect(await payment(h.paymentId)).toEqual({ status: 'SUCCEEDED', late_outcome: null });
  });

  test('Stripe down at the expiry: the slot stays held and the expiry retries until Stripe answers', async () => {
    const { fake } = app.stripe;
    const h = await lapsedHold('11:00', 'stripe', (orderId) => fake.pay(orderId));
    fake.outage.on = true;
    try {
      await t.runJobs({ names: [expireJob.name], maxRounds: 1 });
      expect(await appointment(h.id)).toMatchObject({ status: 'PENDING_PAYMENT', payment_open: true });
      expect(await payment(h.paymentId)).toMatchObject({ status: 'CREATED' });
      await t.runJobs({ names: ['booking.expire-holds'] });
      expect((await initiate(t, h.rival, { clinicianId: doc.id, startAt: h.startAt })).status).toBe(409);
      const retrying = await q(`select state from pgboss.job where name = $1 and data->>'paymentId' = $2`, [
        expireJob.name,
        h.paymentId,
      ]);
      expect(retrying.map((r) => r.state)).toEqual(['retry']);
    } finally {
      fake.outage.on = false;
    }
    await t.runJobs({ names: [expireJob.name] });
    expect(await appointment(h.id)).toMatchObject({ status: 'CONFIRMED' });
    expect(await refunds(h.paymentId)).toBe(0);
  });

  test('Razorpay: captured before the expiry -> confirmed; authorised -> captured, then confirmed', async () => {
    const { fake } = app.razorpay;
    const captured = await lapsedHold('12:00', 'razorpay', (orderId) => fake.pay(orderId, 'captured'));
    const authorised = await lapsedHold('12:30', 'razorpay', (orderId) => fake.pay(orderId, 'authorized'));
    await t.runJobs({ names: [expireJob.name] });
    expect(await appointment(captured.id)).toMatchObject({ status: 'CONFIRMED' });
    // Authorised only: the capture is queued and the slot is still held meanwhile.
    expect(await appointment(authorised.id)).toMatchObject({ status: 'PENDING_PAYMENT', payment_open: true });
    expect(
      (await initiate(t, authorised.rival, { clinicianId: doc.id, startAt: authorised.startAt })).status,
    ).toBe(409);
    await t.runJobs({ names: [captureJob.name] });
    expect(await appointment(authorised.id)).toMatchObject({ status: 'CONFIRMED' });
    expect(fake.captures.filter((c) => c.outcome === 'captured')).toHaveLength(1);
    expect(await refunds(captured.paymentId)).toBe(0);
    expect(await refunds(authorised.paymentId)).toBe(0);
  });

  test('Razorpay: nothing paid at the expiry -> released; money taken after it is late and refunded once the slot is gone', async () => {
    const { fake } = app.razorpay;
    const h = await lapsedHold('13:00', 'razorpay');
    await t.runJobs({ names: [expireJob.name] });
    expect(await appointment(h.id)).toMatchObject({ status: 'EXPIRED' });
    expect((await initiate(t, h.rival, { clinicianId: doc.id, startAt: h.startAt })).status).toBe(201);
    const late = fake.pay(h.orderId, 'captured');
    const ev = razorpayEvent('payment.captured', { payment: { entity: late } });
    const res = await fetch(`${t.url}/api/payment/webhook/razorpay`, { method: 'POST', ...ev });
    expect(res.status).toBe(200);
    expect(await payment(h.paymentId)).toMatchObject({ late_outcome: 'refund' });
    expect(await refunds(h.paymentId)).toBe(1);
  });
});
