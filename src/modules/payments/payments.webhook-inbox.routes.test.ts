import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestUser } from '../../../test/factories/identity.js';
import { razorpayEvent, stripeEvent } from '../../../test/payments/events.js';
import type { fakeRazorpay } from '../../../test/payments/fake-razorpay.js';
import type { fakeStripe } from '../../../test/payments/fake-stripe.js';
import {
  createPayable,
  moneySnapshot,
  notificationsFor,
  payableState,
  paymentRow,
  postWebhook,
  startPaymentsApp,
} from '../../../test/payments/support.js';
import type { TestApp } from '../../../test/support/app.js';

const STRIPE_HOOK = '/api/payment/webhook/stripe';
const RAZORPAY_HOOK = '/api/payment/webhook/razorpay';

/** The webhook inbox with real gateway signatures: exactly once under concurrency, unknown types acknowledged. */
describe('webhook inbox with Stripe- and Razorpay-signed events', () => {
  let t: TestApp;
  let stripe: ReturnType<typeof fakeStripe>;
  let razorpay: ReturnType<typeof fakeRazorpay>;
  let patient: TestUser;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({
      t,
      patient,
      close,
      stripe: { fake: stripe },
      razorpay: { fake: razorpay },
    } = await startPaymentsApp({ stripe: true, razorpay: true }));
  });
  afterAll(() => close?.());

  const paidStripeSession = (sessionId: string) =>
    Object.assign(stripe.sessions.get(sessionId)!, {
      status: 'complete',
      payment_status: 'paid',
      payment_intent: `pi_${sessionId}`,
    });
  const receipts = async (paymentId: string) =>
    (await notificationsFor(t, patient.id)).filter(
      (n) => n.idempotency_key === `payment:${paymentId}:received`,
    );
  async function eventRows(provider: string, eventId: string) {
    const { rows } = await t.platform.pool.query(
      `select type, outcome, payment_id, processed_at is not null as processed, payload
         from webhook_events where provider = $1 and event_id = $2`,
      [provider, eventId],
    );
    return rows;
  }

  /** 20 deliveries of the same signed bytes at once; every one must be answered 2xx. */
  async function deliverAtOnce(path: string, ev: { body: string; headers: Record<string, string> }) {
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => postWebhook(t, path, ev)));
    const replies = results.map((r) => (r.status === 'fulfilled' ? r.value : { status: 0, body: {} }));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    return replies.map((r) => r.body.outcome as string);
  }

  test('Stripe: 20 concurrent deliveries of one event give one effect', async () => {
    // A payment confirmed by one delivery, to know what one effect looks like in the outbox.
    const single = await createPayable(t, patient.id, { provider: 'stripe' });
    const one = stripeEvent(
      t.clock,
      'checkout.session.completed',
      paidStripeSession(single.checkout!.orderId),
    );
    expect((await postWebhook(t, STRIPE_HOOK, one)).body.outcome).toBe('succeeded');
    const receiptsOfOne = (await receipts(single.paymentId)).length;
    expect(receiptsOfOne).toBeGreaterThan(0);

    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'stripe' });
    const ev = stripeEvent(t.clock, 'checkout.session.completed', paidStripeSession(checkout!.orderId), {
      id: 'evt_stripe_twenty',
    });
    const outcomes = await deliverAtOnce(STRIPE_HOOK, ev);
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19);
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      captured_minor: 29900,
      payment_id: `pi_${checkout!.orderId}`,
    });
    expect(await eventRows('stripe', 'evt_stripe_twenty')).toMatchObject([
      { outcome: 'succeeded', payment_id: paymentId, processed: true },
    ]);
    expect(await receipts(paymentId)).toHaveLength(receiptsOfOne);
  });

  test('Razorpay: 20 concurrent deliveries of one event (same x-razorpay-event-id) give one effect', async () => {
    const single = await createPayable(t, patient.id, { provider: 'razorpay' });
    const singlePay = razorpay.pay(single.checkout!.orderId);
    const one = razorpayEvent('payment.captured', { payment: { entity: singlePay } });
    expect((await postWebhook(t, RAZORPAY_HOOK, one)).body.outcome).toBe('succeeded');
    const receiptsOfOne = (await receipts(single.paymentId)).length;

    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = razorpay.pay(checkout!.orderId);
    const ev = razorpayEvent('payment.captured', { payment: { entity: p } }, { eventId: 'evt_rzp_twenty' });
    const outcomes = await deliverAtOnce(RAZORPAY_HOOK, ev);
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19);
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      captured_minor: 29900,
      payment_id: p.id,
    });
    expect(await eventRows('razorpay', 'evt_rzp_twenty')).toMatchObject([
      { outcome: 'succeeded', payment_id: paymentId, processed: true },
    ]);
    expect(await receipts(paymentId)).toHaveLength(receiptsOfOne);
  });

  /** An unknown type is stored, marked processed as ignored, answered 2xx, and changes nothing else. */
  async function expectIgnored(
    provider: 'stripe' | 'razorpay',
    path: string,
    eventId: string,
    ev: { body: string; headers: Record<string, string> },
    type: string,
  ) {
    const before = await moneySnapshot(t);
    const notifications = (await notificationsFor(t, patient.id)).length;
    const res = await postWebhook(t, path, ev);
    expect(res).toMatchObject({ status: 200, body: { received: true, eventId, outcome: 'ignored' } });
    const rows = await eventRows(provider, eventId);
    expect(rows).toMatchObject([{ type, outcome: 'ignored', payment_id: null, processed: true }]);
    expect(rows[0].payload).toEqual(JSON.parse(ev.body));
    const after = await moneySnapshot(t);
    expect({ ...after, events: after.events.filter((e) => e.event_id !== eventId) }).toEqual(before);
    expect((await notificationsFor(t, patient.id)).length).toBe(notifications);
    // The gateway retrying it is acknowledged too, and stored once.
    expect((await postWebhook(t, path, ev)).body.outcome).toBe('duplicate');
    expect(await eventRows(provider, eventId)).toHaveLength(1);
  }

  test('Stripe: an unknown event type about one of our payments is stored and acknowledged, nothing else changes', async () => {
    const { paymentId, checkout } = await createPayable(t, patient.id, { provider: 'stripe' });
    const session = paidStripeSession(checkout!.orderId);
    const dispute = {
      id: 'dp_1',
      object: 'dispute',
      amount: 29900,
      currency: 'inr',
      payment_intent: session.payment_intent,
      reason: 'fraudulent',
      status: 'needs_response',
    };
    const ev = stripeEvent(t.clock, 'charge.dispute.created', dispute, { id: 'evt_stripe_unknown' });
    await expectIgnored('stripe', STRIPE_HOOK, 'evt_stripe_unknown', ev, 'charge.dispute.created');
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'CREATED', captured_minor: 0 });
  });

  test('Razorpay: an unknown event type about one of our payments is stored and acknowledged, nothing else changes', async () => {
    const { paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = razorpay.pay(checkout!.orderId);
    const ev = razorpayEvent(
      'payment.dispute.created',
      { payment: { entity: p }, dispute: { entity: { id: 'disp_1', amount: 29900, phase: 'chargeback' } } },
      { eventId: 'evt_rzp_unknown' },
    );
    await expectIgnored('razorpay', RAZORPAY_HOOK, 'evt_rzp_unknown', ev, 'payment.dispute.created');
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'CREATED', captured_minor: 0 });
  });
});
