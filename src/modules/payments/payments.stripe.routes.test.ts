import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { signIn, type TestUser } from '../../../test/factories/identity.js';
import type { FakeServer } from '../../../test/fakes/http-server.js';
import { stripeEvent } from '../../../test/payments/events.js';
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
import { expireJob } from './payments.jobs.js';

const HOOK = '/api/payment/webhook/stripe';

describe('payments with Stripe Checkout', () => {
  let t: TestApp;
  let api: FakeServer;
  let fake: ReturnType<typeof fakeStripe>;
  let patient: TestUser;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({
      t,
      patient,
      close,
      stripe: { fake, api },
    } = await startPaymentsApp({ stripe: true, patient: { fullName: 'Asha Rao' } }));
  });
  afterAll(() => close?.());

  const now = () => Math.floor(t.clock.now().getTime() / 1000);
  const signed = (type: string, object: object, opts?: Parameters<typeof stripeEvent>[3]) =>
    stripeEvent(t.clock, type, object, opts);
  const pay = (sessionId: string, pi = `pi_${sessionId}`) => {
    const s = fake.sessions.get(sessionId)!;
    Object.assign(s, { status: 'complete', payment_status: 'paid', payment_intent: pi });
    return s;
  };

  test('checkout: one Stripe customer per patient, reused; sessions live at least 30 minutes', async () => {
    const first = await createPayable(t, patient.id, { provider: 'stripe' });
    const second = await createPayable(t, patient.id, { provider: 'stripe' });
    const customerCalls = api.requests.filter((r) => r.path === '/v1/customers');
    expect(customerCalls).toHaveLength(1);
    expect(new URLSearchParams(customerCalls[0]!.body).get('metadata[patientId]')).toBe(patient.id);
    expect(customerCalls[0]!.headers.authorization).toBe('Bearer sk_test_carebook');
    const sessionCalls = api.requests.filter((r) => r.path === '/v1/checkout/sessions');
    expect(sessionCalls).toHaveLength(2);
    for (const call of sessionCalls) {
      const form = new URLSearchParams(call.body);
      expect(form.get('customer')).toBe('cus_1');
      expect(form.get('mode')).toBe('payment');
      expect(form.get('line_items[0][price_data][unit_amount]')).toBe('29900');
      expect(form.get('line_items[0][price_data][currency]')).toBe('inr');
      // The hold is 15 minutes, but Stripe refuses less than 30: never send less.
      expect(Number(form.get('expires_at')) - now()).toBeGreaterThanOrEqual(30 * 60);
      expect(call.headers['idempotency-key']).toMatch(/^carebook-checkout-/);
    }
    expect(first.checkout).toMatchObject({
      provider: 'stripe',
      orderId: 'cs_test_2',
      checkoutUrl: expect.stringContaining('cs_test_2'),
    });
    expect(second.checkout!.orderId).toBe('cs_test_3');
  });

  test('paid path: checkout.session.completed (paid) -> SUCCEEDED, handler once, receipt sent', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'stripe' });
    const ev = signed('checkout.session.completed', pay(checkout!.orderId));
    const res = await postWebhook(t, HOOK, ev);
    expect(res).toMatchObject({ status: 200, body: { received: true, outcome: 'succeeded' } });
    expect((await postWebhook(t, HOOK, ev)).body.outcome).toBe('duplicate');
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      payment_id: `pi_${checkout!.orderId}`,
    });
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
    const receipt = (await notificationsFor(t, patient.id)).find(
      (n) => n.idempotency_key === `payment:${paymentId}:received`,
    );
    expect(receipt?.template_id).toBe('payment_received');
  });

  test('the return from Checkout is verified by asking Stripe about the stored session', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'stripe' });
    const body = {
      payableKind: 'subscription',
      payableId,
      provider: 'stripe',
      orderId: checkout!.orderId,
      paymentId: 'pi_return_1',
    };
    const token = await signIn(t, patient.id, 'patient');
    const unpaid = await t.http.post('/api/payment/verify', body, { token });
    expect(unpaid.status).toBe(400);
    expect(unpaid.body.code).toBe('PAYMENT_VERIFICATION_FAILED');
    pay(checkout!.orderId, 'pi_return_1');
    const ok = await t.http.post('/api/payment/verify', body, { token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: paymentId, status: 'SUCCEEDED', paymentId: 'pi_return_1' });
    expect(
      api.requests.filter(
        (r) => r.path === `/v1/checkout/sessions/${checkout!.orderId}` && r.method === 'GET',
      ),
    ).toHaveLength(2);
    expect((await payableState(t, payableId)).calls).toEqual(['succeeded']);
  });

  test('delayed methods: completed-but-unpaid waits; async success pays; async failure fails', async () => {
    const a = await createPayable(t, patient.id, { provider: 'stripe' });
    const s = fake.sessions.get(a.checkout!.orderId)!;
    Object.assign(s, { status: 'complete', payment_status: 'unpaid', payment_intent: 'pi_async_a' });
    expect((await postWebhook(t, HOOK, signed('checkout.session.completed', s))).body.outcome).toBe(
      'ignored',
    );
    expect((await paymentRow(t, a.paymentId)).status).toBe('CREATED');
    const ok = await postWebhook(
      t,
      HOOK,
      signed('checkout.session.async_payment_succeeded', pay(s.id, 'pi_async_a')),
    );
    expect(ok.body.outcome).toBe('succeeded');

    const b = await createPayable(t, patient.id, { provider: 'stripe' });
    const sb = fake.sessions.get(b.checkout!.orderId)!;
    const failed = await postWebhook(
      t,
      HOOK,
      signed('checkout.session.async_payment_failed', { ...sb, status: 'complete' }),
    );
    expect(failed.body.outcome).toBe('failed');
    expect(await payableState(t, b.payableId)).toEqual({ status: 'failed', calls: ['failed'] });
  });

  test('tampered body, re-serialised JSON, wrong secret, stale timestamp, bad headers -> 400, nothing changed', async () => {
    const { checkout } = await createPayable(t, patient.id, { provider: 'stripe' });
    const session = {
      ...fake.sessions.get(checkout!.orderId)!,
      status: 'complete',
      payment_status: 'paid',
      payment_intent: 'pi_x',
    };
    const good = signed('checkout.session.completed', session);
    const before = await moneySnapshot(t);
    const cases: Array<{ body: string; headers: Record<string, string> }> = [
      { body: good.body.replace('"paid"', '"paiD"'), headers: good.headers },
      { body: JSON.stringify(JSON.parse(good.body), null, 1), headers: good.headers },
      signed('checkout.session.completed', session, { secret: 'whsec_wrong_secret' }),
      signed('checkout.session.completed', session, { secret: 'sk_test_carebook' }),
      signed('checkout.session.completed', session, { timestamp: now() - 301 }),
      { body: good.body, headers: { 'content-type': 'application/json' } },
      { body: good.body, headers: { 'content-type': 'application/json', 'stripe-signature': '' } },
      { body: good.body, headers: { 'content-type': 'application/json', 'stripe-signature': 't=abc,v1=' } },
    ];
    for (const c of cases) {
      const res = await postWebhook(t, HOOK, c);
      expect(res.status, c.headers['stripe-signature'] ?? 'no header').toBe(400);
      expect(res.body.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    expect(await moneySnapshot(t)).toEqual(before);
    // Secret rotation: several v1 signatures, one of them valid, is accepted.
    const rotated = signed('checkout.session.completed', session, { secret: 'whsec_old_secret' });
    const validSig = good.headers['stripe-signature'].split(',v1=')[1];
    rotated.headers['stripe-signature'] =
      `${good.headers['stripe-signature'].split(',')[0]},v1=${rotated.headers['stripe-signature'].split(',v1=')[1]},v1=${validSig}`;
    rotated.body = good.body;
    expect((await postWebhook(t, HOOK, rotated)).body.outcome).toBe('succeeded');
  });

  test('the hold lapses: the session is expired through the API and the payable told', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'stripe' });
    t.clock.advanceMinutes(15);
    await t.runJobs({ names: [expireJob.name] });
    const expireCalls = api.requests.filter(
      (r) => r.path === `/v1/checkout/sessions/${checkout!.orderId}/expire`,
    );
    expect(expireCalls).toHaveLength(1);
    expect(fake.sessions.get(checkout!.orderId)!.status).toBe('expired');
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'EXPIRED' });
    expect(await payableState(t, payableId)).toEqual({ status: 'expired', calls: ['expired'] });
    // Stripe's own expiry event later changes nothing.
    const late = await postWebhook(
      t,
      HOOK,
      signed('checkout.session.expired', fake.sessions.get(checkout!.orderId)!),
    );
    expect(late.body.outcome).toBe('stale_expired');
  });

  test('/expire refused because the patient paid at minute 16: late money, refunded in full, patient told', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'stripe' });
    t.clock.advanceMinutes(16);
    pay(checkout!.orderId, 'pi_late_1');
    await t.runJobs({ names: [expireJob.name] });
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'SUCCEEDED', late_outcome: 'refund' });
    expect((await payableState(t, payableId)).calls).toEqual(['late:refund']);
    await t.runJobs({ names: ['payments.refund'] });
    const refundCall = api.requests.find((r) => r.path === '/v1/refunds' && r.body.includes('pi_late_1'))!;
    const form = new URLSearchParams(refundCall.body);
    expect(form.get('amount')).toBe('29900');
    expect(refundCall.headers['idempotency-key']).toBe(`payment:${paymentId}:late-refund`);
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'REFUNDED', refunded_minor: 29900 });
    // The webhook for the same money arriving afterwards changes nothing.
    const again = await postWebhook(
      t,
      HOOK,
      signed('checkout.session.completed', fake.sessions.get(checkout!.orderId)!),
    );
    expect(again.body.outcome).toBe('already_paid');
    // Stripe's charge.refunded for our own refund confirms, it does not add a second one.
    const charge = {
      id: 'ch_1',
      object: 'charge',
      payment_intent: 'pi_late_1',
      amount: 29900,
      amount_refunded: 29900,
    };
    expect((await postWebhook(t, HOOK, signed('charge.refunded', charge))).status).toBe(200);
    const { rows } = await t.platform.pool.query(
      'select count(*)::int as n from refunds where payment_id = $1',
      [paymentId],
    );
    expect(rows[0].n).toBe(1);
    const templates = (await notificationsFor(t, patient.id)).map((n) => n.idempotency_key);
    expect(templates).toEqual(
      expect.arrayContaining([
        `payment:${paymentId}:received`,
        expect.stringMatching(/^refund:.*:processed$/),
      ]),
    );
  });

  test('a refund made in the Stripe dashboard is recorded from charge.refunded, within the ceiling', async () => {
    const { paymentId, checkout } = await createPayable(t, patient.id, { provider: 'stripe' });
    await postWebhook(t, HOOK, signed('checkout.session.completed', pay(checkout!.orderId, 'pi_dash_1')));
    const charge = {
      id: 'ch_2',
      object: 'charge',
      payment_intent: 'pi_dash_1',
      amount: 29900,
      amount_refunded: 10000,
    };
    const res = await postWebhook(t, HOOK, signed('charge.refunded', charge));
    expect(res.body.outcome).toBe('refund_recorded');
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded_minor: 10000,
    });
    const over = await postWebhook(t, HOOK, signed('charge.refunded', { ...charge, amount_refunded: 40000 }));
    expect(over.body.outcome).toBe('refund_over_ceiling');
    expect((await paymentRow(t, paymentId)).refunded_minor).toBe(10000);
  });
});
