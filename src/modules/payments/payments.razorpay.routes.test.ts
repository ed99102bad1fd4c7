import Razorpay from 'razorpay';
import { validatePaymentVerification } from 'razorpay/dist/utils/razorpay-utils.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser, signIn, type TestUser } from '../../../test/factories/identity.js';
import type { FakeServer } from '../../../test/fakes/http-server.js';
import { hmacHex, RAZORPAY_WEBHOOK_SECRET, razorpayEvent } from '../../../test/payments/events.js';
import { type fakeRazorpay, KEY_ID, KEY_SECRET } from '../../../test/payments/fake-razorpay.js';
import {
  createPayable,
  moneySnapshot,
  notificationsFor,
  payableState,
  paymentRow,
  paymentsOf,
  postWebhook,
  startPaymentsApp,
} from '../../../test/payments/support.js';
import type { TestApp } from '../../../test/support/app.js';
import { reconcileJob } from './payments.jobs.js';

describe('payments with Razorpay', () => {
  let t: TestApp;
  let api: FakeServer;
  let fake: ReturnType<typeof fakeRazorpay>;
  let patient: TestUser;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({
      t,
      patient,
      close,
      razorpay: { fake, api },
    } = await startPaymentsApp({ razorpay: true }));
  });
  afterAll(() => close?.());

  const verify = async (payableId: string, orderId: string, paymentId: string, signature: string) =>
    t.http.post(
      '/api/payment/verify',
      { payableKind: 'subscription', payableId, provider: 'razorpay', orderId, paymentId, signature },
      { token: await signIn(t, patient.id, 'patient') },
    );

  test('order created through the Orders API; the checkout carries the key id', async () => {
    const { paymentId, checkout } = await createPayable(t, patient.id, {
      provider: 'razorpay',
      amount: 49900,
    });
    expect(checkout).toMatchObject({ provider: 'razorpay', keyId: KEY_ID, amount: 49900, currency: 'INR' });
    const call = api.requests.find((r) => r.path === '/v1/orders')!;
    expect(JSON.parse(call.body)).toMatchObject({ amount: 49900, currency: 'INR', receipt: paymentId });
  });

  test('the callback is verified against the order we stored, with the API secret; amount cross-checked', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const cheap = await createPayable(t, patient.id, { provider: 'razorpay', amount: 100 });
    const cheapPay = fake.pay(cheap.checkout!.orderId);
    const cheapSig = hmacHex(KEY_SECRET, `${cheap.checkout!.orderId}|${cheapPay.id}`);
    // The SDK's own verifier agrees with the signature the checkout would give.
    expect(
      validatePaymentVerification(
        { order_id: cheap.checkout!.orderId, payment_id: cheapPay.id },
        cheapSig,
        KEY_SECRET,
      ),
    ).toBe(true);
    const before = await moneySnapshot(t);
    // A valid triple from another, cheaper order.
    expect((await verify(payableId, cheap.checkout!.orderId, cheapPay.id, cheapSig)).status).toBe(400);
    expect((await verify(payableId, checkout!.orderId, cheapPay.id, cheapSig)).body.code).toBe(
      'PAYMENT_VERIFICATION_FAILED',
    );
    const mine = fake.pay(checkout!.orderId);
    // Signed with the webhook secret instead of the API secret.
    const swapped = hmacHex(RAZORPAY_WEBHOOK_SECRET, `${checkout!.orderId}|${mine.id}`);
    expect((await verify(payableId, checkout!.orderId, mine.id, swapped)).status).toBe(400);
    expect(await moneySnapshot(t)).toEqual(before);

    const ok = await verify(
      payableId,
      checkout!.orderId,
      mine.id,
      hmacHex(KEY_SECRET, `${checkout!.orderId}|${mine.id}`),
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'SUCCEEDED', paymentId: mine.id });
    expect(api.requests.some((r) => r.path === `/v1/payments/${mine.id}`)).toBe(true);
    // The webhook for the same payment, after the callback: one credit.
    const hook = await postWebhook(
      t,
      '/api/payment/webhook',
      razorpayEvent('payment.captured', { payment: { entity: mine } }),
    );
    expect(hook.body.outcome).toBe('already_paid');
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
    expect((await paymentRow(t, paymentId)).captured_minor).toBe(29900);
  });

  test('webhooks: signed with the webhook secret over the raw body, deduplicated by x-razorpay-event-id', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = fake.pay(checkout!.orderId);
    const ev = razorpayEvent('payment.captured', { payment: { entity: p } }, { eventId: 'evt_rzp_fixed' });
    // The SDK's verifier accepts exactly what our fake gateway signs.
    expect(
      Razorpay.validateWebhookSignature(ev.body, ev.headers['x-razorpay-signature'], RAZORPAY_WEBHOOK_SECRET),
    ).toBe(true);
    const before = await moneySnapshot(t);
    const bad = [
      { body: ev.body.replace('29900', '29800'), headers: ev.headers },
      razorpayEvent('payment.captured', { payment: { entity: p } }, { secret: KEY_SECRET }),
      { body: ev.body, headers: { ...ev.headers, 'x-razorpay-signature': '' } },
      {
        body: ev.body,
        headers: {
          'content-type': 'application/json',
          'x-razorpay-signature': ev.headers['x-razorpay-signature'],
        },
      },
    ];
    for (const c of bad) expect((await postWebhook(t, '/api/payment/webhook/razorpay', c)).status).toBe(400);
    expect(await moneySnapshot(t)).toEqual(before);

    const results = await Promise.all(
      Array.from({ length: 5 }, () => postWebhook(t, '/api/payment/webhook', ev)),
    );
    expect(results.map((r) => r.body.outcome).sort()).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'succeeded',
    ]);
    // order.paid for the same money under another event id: no second credit.
    const orderPaid = razorpayEvent('order.paid', {
      payment: { entity: p },
      order: { entity: { id: checkout!.orderId } },
    });
    expect((await postWebhook(t, '/api/payment/webhook/razorpay', orderPaid)).body.outcome).toBe(
      'already_paid',
    );
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'SUCCEEDED', payment_id: p.id });
    // A second payment captured on the same order is never a second credit.
    const second = fake.pay(checkout!.orderId);
    const dup = await postWebhook(
      t,
      '/api/payment/webhook',
      razorpayEvent('payment.captured', { payment: { entity: second } }),
    );
    expect(dup.body.outcome).toBe('second_capture');
    expect(await paymentRow(t, paymentId)).toMatchObject({ payment_id: p.id, captured_minor: 29900 });
  });

  test('a declined attempt keeps the order open; all attempts failed at expiry -> FAILED; captured days later -> late refund', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = fake.pay(checkout!.orderId, 'failed');
    // The patient may retry on the same Razorpay order: one decline ends nothing while the hold is live.
    const declined = await postWebhook(
      t,
      '/api/payment/webhook',
      razorpayEvent('payment.failed', { payment: { entity: p } }),
    );
    expect(declined.body.outcome).toBe('attempt_failed');
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'CREATED' });
    t.clock.advanceMinutes(16);
    await paymentsOf(t).service.settleOverdue(paymentId);
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'FAILED' });
    expect(await payableState(t, payableId)).toEqual({ status: 'failed', calls: ['failed'] });
    t.clock.advanceMinutes(2 * 24 * 60);
    p.status = 'captured';
    const late = await postWebhook(
      t,
      '/api/payment/webhook',
      razorpayEvent('payment.captured', { payment: { entity: p } }),
    );
    expect(late.body.outcome).toBe('late_refund');
    // The gateway makes the refund but the answer is lost; the retry finds it instead of refunding twice.
    fake.failNextRefund();
    const { rows } = await t.platform.pool.query<{ id: string }>(
      'select id from refunds where payment_id = $1',
      [paymentId],
    );
    await expect(paymentsOf(t).service.processRefund(rows[0]!.id)).rejects.toThrow();
    await paymentsOf(t).service.processRefund(rows[0]!.id);
    expect(fake.refunds.filter((r) => r.payment_id === p.id)).toHaveLength(1);
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'REFUNDED',
      refunded_minor: 29900,
      late_outcome: 'refund',
    });
    const keys = (await notificationsFor(t, patient.id)).map((n) => n.idempotency_key);
    expect(keys).toEqual(
      expect.arrayContaining([`payment:${paymentId}:received`, `refund:${rows[0]!.id}:processed`]),
    );
  });

  test('a refund pending at Razorpay is confirmed by refund.processed, once', async () => {
    const { paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = fake.pay(checkout!.orderId);
    await postWebhook(
      t,
      '/api/payment/webhook',
      razorpayEvent('payment.captured', { payment: { entity: p } }),
    );
    fake.setRefundStatus('pending');
    const res = await t.http.post(
      `/api/admin/payments/${paymentId}/refunds`,
      { amount: 9900, reason: 'Partial', idempotencyKey: 'rzp-partial-1' },
      { token: await signIn(t, (await createUser(t, { role: 'admin' })).id, 'admin') },
    );
    expect(res.status).toBe(201);
    await t.runJobs({ names: ['payments.refund'] });
    fake.setRefundStatus('processed');
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'SUCCEEDED', refund_pending_minor: 9900 });
    const r = fake.refunds.find((x) => x.payment_id === p.id)!;
    const ev = razorpayEvent('refund.processed', {
      refund: { entity: { ...r, status: 'processed' } },
      payment: { entity: p },
    });
    expect((await postWebhook(t, '/api/payment/webhook', ev)).body.outcome).toBe('refund_processed');
    const again = razorpayEvent('refund.processed', {
      refund: { entity: { ...r, status: 'processed' } },
      payment: { entity: p },
    });
    expect((await postWebhook(t, '/api/payment/webhook', again)).body.outcome).toBe('no_change');
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded_minor: 9900,
      refund_pending_minor: 0,
    });
  });

  test('a refund left pending at Razorpay without a webhook is settled by the reconciler', async () => {
    const { paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = fake.pay(checkout!.orderId);
    await postWebhook(
      t,
      '/api/payment/webhook',
      razorpayEvent('payment.captured', { payment: { entity: p } }),
    );
    fake.setRefundStatus('pending');
    await t.platform.uow((tx) =>
      paymentsOf(t).service.requestRefund(tx, {
        paymentId,
        reason: 'Cancelled',
        idempotencyKey: 'rzp-stuck-1',
      }),
    );
    await t.runJobs({ names: ['payments.refund'] });
    fake.setRefundStatus('processed');
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      refund_pending_minor: 29900,
    });
    await paymentsOf(t).service.reconcileDue();
    expect((await paymentRow(t, paymentId)).refund_pending_minor).toBe(29900); // not overdue yet
    fake.refunds.find((r) => r.payment_id === p.id)!.status = 'processed';
    t.clock.advanceMinutes(61);
    await paymentsOf(t).service.reconcileDue();
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'REFUNDED',
      refunded_minor: 29900,
      refund_pending_minor: 0,
    });
  });

  test('a missed webhook is repaired by the periodic reconciliation job (orders/:id/payments)', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, {
      provider: 'razorpay',
      revivable: true,
    });
    fake.pay(checkout!.orderId, 'captured', 'pay_missed_1');
    const unpaid = await createPayable(t, patient.id, { provider: 'razorpay' });
    t.clock.advanceMinutes(16);
    await t.platform.jobs.send(reconcileJob, {});
    await t.runJobs({ names: [reconcileJob.name] });
    expect(api.requests.some((r) => r.path === `/v1/orders/${checkout!.orderId}/payments`)).toBe(true);
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      payment_id: 'pay_missed_1',
      gateway_status: 'paid',
    });
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['late:fulfilled'] });
    // Nothing paid on the other order: Razorpay orders cannot be closed, so the hold simply lapses.
    expect(await paymentRow(t, unpaid.paymentId)).toMatchObject({ status: 'EXPIRED' });
    // The webhook arriving after the repair changes nothing.
    const p = fake.payments.get('pay_missed_1')!;
    expect(
      (
        await postWebhook(
          t,
          '/api/payment/webhook',
          razorpayEvent('payment.captured', { payment: { entity: p } }),
        )
      ).body.outcome,
    ).toBe('already_paid');
  });
});
