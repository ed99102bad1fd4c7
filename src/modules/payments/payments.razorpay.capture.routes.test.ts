import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser, signIn, type TestUser } from '../../../test/factories/identity.js';
import type { FakeServer } from '../../../test/fakes/http-server.js';
import { hmacHex, razorpayEvent } from '../../../test/payments/events.js';
import { type fakeRazorpay, KEY_SECRET } from '../../../test/payments/fake-razorpay.js';
import {
  createPayable,
  notificationsFor,
  payableState,
  paymentRow,
  paymentsOf,
  postWebhook,
  startPaymentsApp,
} from '../../../test/payments/support.js';
import type { TestApp } from '../../../test/support/app.js';
import { captureJob, reconcileJob } from './payments.jobs.js';

const HOOK = '/api/payment/webhook';

describe('Razorpay authorisations: captured through the SDK, then credited once', () => {
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

  const runCaptures = () => t.runJobs({ names: [captureJob.name] });
  const captureCalls = (paymentRef: string) =>
    api.requests.filter((r) => r.method === 'POST' && r.path === `/v1/payments/${paymentRef}/capture`);
  const capturedAtGateway = (paymentRef: string) =>
    fake.captures.filter((c) => c.paymentId === paymentRef && c.outcome === 'captured');
  const authorized = (p: object) =>
    razorpayEvent('payment.authorized', {
      payment: { entity: { ...p, status: 'authorized', captured: false } },
    });
  /** The checkout's success callback for one payment, signed as Razorpay Checkout signs it. */
  const callback = (payableId: string, orderId: string, paymentRef: string) => ({
    payableKind: 'subscription',
    payableId,
    provider: 'razorpay',
    orderId,
    paymentId: paymentRef,
    signature: hmacHex(KEY_SECRET, `${orderId}|${paymentRef}`),
  });
  const verify = async (body: object) =>
    t.http.post('/api/payment/verify', body, { token: await signIn(t, patient.id, 'patient') });
  /** Authorised at Razorpay is not ours yet: not paid, nothing captured, the payable not called. */
  async function expectHeldNotCredited(paymentId: string, payableId: string) {
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'CREATED',
      captured_minor: 0,
      gateway_status: 'authorized',
    });
    expect((await payableState(t, payableId)).calls).toEqual([]);
  }
  async function captureJobs(paymentId: string) {
    const { rows } = await t.platform.pool.query<{ state: string; retry_count: number }>(
      `select state, retry_count from pgboss.job where name = $1 and data->>'paymentId' = $2 order by created_on`,
      [captureJob.name, paymentId],
    );
    return rows;
  }

  test('payment.authorized on time: captured for exactly our amount in a job, then an ordinary success', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = fake.pay(checkout!.orderId, 'authorized');
    const res = await postWebhook(t, HOOK, authorized(p));
    expect(res).toMatchObject({ status: 200, body: { outcome: 'capture_queued' } });
    // Held is not ours: nothing credited, and no network call was made from the webhook's transaction.
    expect(captureCalls(p.id)).toHaveLength(0);
    await expectHeldNotCredited(paymentId, payableId);

    await runCaptures();
    const calls = captureCalls(p.id);
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]!.body)).toEqual({ amount: 29900, currency: 'INR' });
    expect(fake.payments.get(p.id)).toMatchObject({ status: 'captured', captured: true });
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      captured_minor: 29900,
      payment_id: p.id,
      gateway_status: 'paid',
      late_outcome: null,
    });
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
    const keys = (await notificationsFor(t, patient.id)).map((n) => n.idempotency_key);
    expect(keys).toContain(`payment:${paymentId}:received`);

    // Razorpay's payment.captured that follows, and a redelivered authorisation, change nothing.
    const captured = razorpayEvent('payment.captured', { payment: { entity: fake.payments.get(p.id) } });
    expect((await postWebhook(t, HOOK, captured)).body.outcome).toBe('already_paid');
    expect((await postWebhook(t, HOOK, authorized(p))).body.outcome).toBe('already_paid');
    await runCaptures();
    expect(captureCalls(p.id)).toHaveLength(1);
    expect((await payableState(t, payableId)).calls).toEqual(['succeeded']);
  });

  test('a valid callback for an authorised, not yet captured payment: 202 pending, captured once by the job, then paid', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = fake.pay(checkout!.orderId, 'authorized');
    const proof = callback(payableId, checkout!.orderId, p.id);

    const first = await verify(proof);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      id: paymentId,
      status: 'CREATED',
      awaiting: 'capture',
      amount: { amount: 29900, currency: 'INR' },
      paidAt: null,
    });
    // The patient's page retrying, and Razorpay's payment.authorized: still one capture job.
    expect((await verify(proof)).status).toBe(202);
    expect((await postWebhook(t, HOOK, authorized(p))).body.outcome).toBe('capture_queued');
    expect(await captureJobs(paymentId)).toHaveLength(1);
    // Nothing captured from the request, nothing credited yet.
    expect(captureCalls(p.id)).toHaveLength(0);
    await expectHeldNotCredited(paymentId, payableId);

    await runCaptures();
    expect(captureCalls(p.id)).toHaveLength(1);
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      captured_minor: 29900,
      payment_id: p.id,
    });
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });

    // Afterwards: the callback again is an ordinary 200, Razorpay's payment.captured changes nothing.
    const after = await verify(proof);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ id: paymentId, status: 'SUCCEEDED', paymentId: p.id });
    expect(after.body).not.toHaveProperty('awaiting');
    const captured = razorpayEvent('payment.captured', { payment: { entity: fake.payments.get(p.id) } });
    expect((await postWebhook(t, HOOK, captured)).body.outcome).toBe('already_paid');
    await runCaptures();
    expect(captureCalls(p.id)).toHaveLength(1);
    expect((await payableState(t, payableId)).calls).toEqual(['succeeded']);
  });

  test('the same pending callback through the service without allowPending (booking confirm): 409 PAYMENT_CAPTURE_PENDING, capture still queued; a failed payment stays a 400', async () => {
    const service = paymentsOf(t).service;
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = fake.pay(checkout!.orderId, 'authorized');
    const proof = callback(payableId, checkout!.orderId, p.id);
    await expect(service.verifyClientCallback(proof)).rejects.toMatchObject({
      status: 409,
      code: 'PAYMENT_CAPTURE_PENDING',
    });
    expect(await captureJobs(paymentId)).toHaveLength(1);
    await runCaptures();
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'SUCCEEDED', payment_id: p.id });
    expect(await service.verifyClientCallback(proof)).toMatchObject({
      status: 'SUCCEEDED',
      awaiting: null,
    });

    // A declined payment with a valid signature is not money on its way.
    const other = await createPayable(t, patient.id, { provider: 'razorpay' });
    const declined = fake.pay(other.checkout!.orderId, 'failed');
    const res = await verify(callback(other.payableId, other.checkout!.orderId, declined.id));
    expect(res).toMatchObject({ status: 400, body: { code: 'PAYMENT_VERIFICATION_FAILED' } });
    expect(await captureJobs(other.paymentId)).toEqual([]);
    expect(await paymentRow(t, other.paymentId)).toMatchObject({ status: 'CREATED', gateway_status: null });
  });

  test('20 concurrent deliveries of one payment.authorized: one capture job, one capture, one credit', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = fake.pay(checkout!.orderId, 'authorized');
    const ev = authorized(p);
    const results = await Promise.all(Array.from({ length: 20 }, () => postWebhook(t, HOOK, ev)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const outcomes = results.map((r) => r.body.outcome);
    expect(outcomes.filter((o) => o === 'capture_queued')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19);
    expect(await captureJobs(paymentId)).toHaveLength(1);
    await runCaptures();
    expect(captureCalls(p.id)).toHaveLength(1);
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
  });

  test('failed, then authorised two days later: captured as late money; the payable gave up -> full refund', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = fake.pay(checkout!.orderId, 'failed');
    await postWebhook(t, HOOK, razorpayEvent('payment.failed', { payment: { entity: p } }));
    t.clock.advanceMinutes(16);
    await paymentsOf(t).service.settleOverdue(paymentId);
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'FAILED' });

    t.clock.advanceMinutes(2 * 24 * 60);
    p.status = 'authorized';
    expect((await postWebhook(t, HOOK, authorized(p))).body.outcome).toBe('capture_queued');
    expect((await paymentRow(t, paymentId)).status).toBe('FAILED');
    await runCaptures();
    expect(capturedAtGateway(p.id)).toHaveLength(1);
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      captured_minor: 29900,
      late_outcome: 'refund',
      refund_pending_minor: 29900,
    });
    expect(await payableState(t, payableId)).toEqual({ status: 'lapsed', calls: ['failed', 'late:refund'] });
    await t.runJobs({ names: ['payments.refund'] });
    expect(fake.refunds.filter((r) => r.payment_id === p.id).map((r) => r.amount)).toEqual([29900]);
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'REFUNDED', refunded_minor: 29900 });
    const keys = (await notificationsFor(t, patient.id)).map((n) => n.idempotency_key);
    expect(keys).toContain(`payment:${paymentId}:received`);
    expect(keys.some((k) => /^refund:.*:processed$/.test(k))).toBe(true);
  });

  test('failed, then authorised with no webhook: the reconciler sees it and queues one capture; a payable that still can is fulfilled', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, {
      provider: 'razorpay',
      revivable: true,
    });
    const p = fake.pay(checkout!.orderId, 'failed');
    t.clock.advanceMinutes(16);
    await t.platform.jobs.send(reconcileJob, {});
    await t.runJobs({ names: [reconcileJob.name] });
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'FAILED' });

    t.clock.advanceMinutes(30 * 60);
    p.status = 'authorized';
    await t.platform.jobs.send(reconcileJob, {});
    await t.runJobs({ names: [reconcileJob.name] });
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'FAILED', gateway_status: 'authorized' });
    // Another run before the capture happened queues no second capture.
    await paymentsOf(t).service.reconcileDue();
    expect((await captureJobs(paymentId)).map((j) => j.state)).toEqual(['created']);

    await runCaptures();
    expect(capturedAtGateway(p.id)).toHaveLength(1);
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      late_outcome: 'fulfilled',
      refund_pending_minor: 0,
    });
    expect(await payableState(t, payableId)).toEqual({
      status: 'active',
      calls: ['failed', 'late:fulfilled'],
    });
    await paymentsOf(t).service.reconcileDue();
    expect(captureCalls(p.id)).toHaveLength(1);
  });

  test('a capture is never doubled: gateway outage then retry, lost answer, duplicate jobs, auto-capture', async () => {
    // Outage: nothing captured, the job fails and pg-boss retries it.
    const a = await createPayable(t, patient.id, { provider: 'razorpay' });
    const pa = fake.pay(a.checkout!.orderId, 'authorized');
    await postWebhook(t, HOOK, authorized(pa));
    fake.faultNextCapture('unavailable');
    await runCaptures();
    expect(fake.captures.filter((c) => c.paymentId === pa.id).map((c) => c.outcome)).toEqual([
      'unavailable',
      'captured',
    ]);
    expect(await captureJobs(a.paymentId)).toEqual([{ state: 'completed', retry_count: 1 }]);
    expect(await paymentRow(t, a.paymentId)).toMatchObject({ status: 'SUCCEEDED', captured_minor: 29900 });

    // Captured at Razorpay but the answer was lost: asked again, not captured again.
    const b = await createPayable(t, patient.id, { provider: 'razorpay' });
    const pb = fake.pay(b.checkout!.orderId, 'authorized');
    await postWebhook(t, HOOK, authorized(pb));
    fake.faultNextCapture('lose-answer');
    await runCaptures();
    expect(capturedAtGateway(pb.id)).toHaveLength(1);
    expect(await paymentRow(t, b.paymentId)).toMatchObject({ status: 'SUCCEEDED' });

    // Two copies of the job at once: Razorpay answers the loser "already captured".
    const c = await createPayable(t, patient.id, { provider: 'razorpay' });
    const pc = fake.pay(c.checkout!.orderId, 'authorized');
    const job = { paymentId: c.paymentId, paymentRef: pc.id };
    const service = paymentsOf(t).service;
    const outcomes = await Promise.all([service.capturePayment(job), service.capturePayment(job)]);
    expect(outcomes.sort()).toEqual(['already_paid', 'succeeded']);
    expect(capturedAtGateway(pc.id)).toHaveLength(1);
    expect(await service.capturePayment(job)).toBe('already_paid');

    // Auto-capture wins the race after our look: Razorpay answers "already captured"; credited once.
    const e = await createPayable(t, patient.id, { provider: 'razorpay' });
    const pe = fake.pay(e.checkout!.orderId, 'authorized');
    await postWebhook(t, HOOK, authorized(pe));
    fake.faultNextCapture('captured-meanwhile');
    await runCaptures();
    expect(fake.captures.filter((x) => x.paymentId === pe.id).map((x) => x.outcome)).toEqual([
      'This payment has already been captured',
    ]);
    expect(await captureJobs(e.paymentId)).toEqual([{ state: 'completed', retry_count: 0 }]);

    // Razorpay auto-captured before our job ran: credited without a capture call.
    const d = await createPayable(t, patient.id, { provider: 'razorpay' });
    const pd = fake.pay(d.checkout!.orderId, 'authorized');
    await postWebhook(t, HOOK, authorized(pd));
    Object.assign(pd, { status: 'captured', captured: true });
    await runCaptures();
    expect(captureCalls(pd.id)).toHaveLength(0);
    expect(await paymentRow(t, d.paymentId)).toMatchObject({ status: 'SUCCEEDED', payment_id: pd.id });

    for (const x of [a, b, c, d, e])
      expect(await payableState(t, x.payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
  });

  test('two captures on one order (two tabs): one credit, the second refunded in full automatically, listed until refunded', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const report = async () =>
      (
        await t.http.get('/api/admin/reconciliation', { token: await signIn(t, admin.id, 'admin') })
      ).body.mismatches.filter((m: { payableId: string }) => m.payableId === payableId);
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const first = fake.pay(checkout!.orderId, 'captured');
    const second = fake.pay(checkout!.orderId, 'captured');
    const captured = (p: object) => razorpayEvent('payment.captured', { payment: { entity: p } });
    expect((await postWebhook(t, HOOK, captured(first))).body.outcome).toBe('succeeded');

    // The second payment reported at once by payment.captured, order.paid and the second tab's callback.
    const secondCaptured = captured(second);
    const [hook, redelivery, orderPaid, secondTab] = await Promise.all([
      postWebhook(t, HOOK, secondCaptured),
      postWebhook(t, HOOK, secondCaptured),
      postWebhook(
        t,
        HOOK,
        razorpayEvent('order.paid', {
          payment: { entity: second },
          order: { entity: { id: checkout!.orderId } },
        }),
      ),
      verify(callback(payableId, checkout!.orderId, second.id)),
    ]);
    expect(secondTab.status).toBe(200);
    expect(secondTab.body).toMatchObject({ id: paymentId, status: 'SUCCEEDED', paymentId: first.id });
    expect([hook, redelivery, orderPaid].map((r) => r.status)).toEqual([200, 200, 200]);
    const outcomes = [hook, redelivery, orderPaid].map((r) => r.body.outcome);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(1);
    // One of the four recorded it (the callback has no outcome to show); the others found it known.
    expect(outcomes.filter((o) => o === 'second_capture').length).toBeLessThanOrEqual(1);
    for (const o of outcomes.filter((x) => x !== 'duplicate'))
      expect(['second_capture', 'second_capture_known']).toContain(o);

    // One credit: the payable was told once, the order's payment is the first one, untouched.
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      payment_id: first.id,
      captured_minor: 29900,
      refunded_minor: 0,
      refund_pending_minor: 0,
    });
    expect((await paymentsOf(t).service.getForPayable('subscription', payableId))?.id).toBe(paymentId);
    // The extra money: its own paid record, its full refund reserved under one key.
    const { rows: extras } = await t.platform.pool.query('select * from payments where payment_id = $1', [
      second.id,
    ]);
    expect(extras).toHaveLength(1);
    const extra = extras[0]!;
    expect(extra).toMatchObject({
      payable_id: payableId,
      order_id: null,
      status: 'SUCCEEDED',
      captured_minor: 29900,
      refund_pending_minor: 29900,
      refunded_minor: 0,
    });
    const { rows: refunds } = await t.platform.pool.query(
      'select * from refunds where payment_id = any($1) order by created_at',
      [[paymentId, extra.id]],
    );
    expect(refunds).toEqual([
      expect.objectContaining({
        payment_id: extra.id,
        amount_minor: 29900,
        status: 'PENDING',
        source: 'duplicate',
        idempotency_key: `second-capture:razorpay:${second.id}:refund`,
      }),
    ]);
    expect(await report()).toEqual([
      expect.objectContaining({
        paymentId: extra.id,
        status: 'SUCCEEDED',
        amount: { amount: 29900, currency: 'INR' },
        refunded: { amount: 0, currency: 'INR' },
        mismatches: ['SECOND_CAPTURE_NOT_REFUNDED'],
      }),
    ]);

    // The refund job, run twice: one refund at Razorpay, of the second payment, in full.
    await t.runJobs({ names: ['payments.refund'] });
    await paymentsOf(t).service.processRefund(refunds[0]!.id);
    expect(fake.refunds.filter((r) => r.payment_id === second.id)).toEqual([
      expect.objectContaining({ amount: 29900, notes: { refundId: refunds[0]!.id } }),
    ]);
    expect(fake.refunds.filter((r) => r.payment_id === first.id)).toEqual([]);
    expect(await paymentRow(t, extra.id)).toMatchObject({
      status: 'REFUNDED',
      refunded_minor: 29900,
      refund_pending_minor: 0,
    });
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'SUCCEEDED', refunded_minor: 0 });
    const told = (await notificationsFor(t, patient.id)).filter(
      (n) => n.idempotency_key === `refund:${refunds[0]!.id}:processed`,
    );
    // One message per channel (the key is unique per channel), all of them the refund receipt.
    expect(told.length).toBeGreaterThan(0);
    expect(told.map((n) => n.template_id)).toEqual(told.map(() => 'refund_processed'));
    expect(await report()).toEqual([]);

    // Later news about the second payment changes nothing; its record has nothing left to refund.
    expect((await postWebhook(t, HOOK, captured(second))).body.outcome).toBe('second_capture_known');
    const refundDone = razorpayEvent('refund.processed', {
      refund: { entity: fake.refunds.find((r) => r.payment_id === second.id) },
      payment: { entity: second },
    });
    expect((await postWebhook(t, HOOK, refundDone)).body.outcome).toBe('no_change');
    const again = await t.http.post(
      `/api/admin/payments/${extra.id}/refunds`,
      { reason: 'Again', idempotencyKey: 'second-capture-again-1' },
      { token: await signIn(t, admin.id, 'admin') },
    );
    expect(again).toMatchObject({ status: 409, body: { code: 'PAYMENT_NOT_REFUNDABLE' } });
    await t.runJobs({ names: ['payments.refund'] });
    expect(fake.refunds.filter((r) => r.payment_id === second.id)).toHaveLength(1);
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
  });

  test('never captured: an authorisation for another amount (listed by reconciliation), a second one on a paid order', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const cheap = fake.pay(checkout!.orderId, 'authorized');
    cheap.amount = 100;
    expect((await postWebhook(t, HOOK, authorized(cheap))).body.outcome).toBe('amount_mismatch');
    expect(await captureJobs(paymentId)).toEqual([]);
    // Even a capture asked for directly refuses another amount before calling capture.
    expect(await paymentsOf(t).service.capturePayment({ paymentId, paymentRef: cheap.id })).toBe(
      'capture_refused',
    );
    expect(captureCalls(cheap.id)).toHaveLength(0);
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'CREATED', gateway_amount_minor: 100 });
    expect((await payableState(t, payableId)).calls).toEqual([]);
    const report = await t.http.get('/api/admin/reconciliation', {
      token: await signIn(t, admin.id, 'admin'),
    });
    expect(report.status).toBe(200);
    const row = report.body.mismatches.find((m: { paymentId: string }) => m.paymentId === paymentId);
    expect(row).toMatchObject({
      status: 'CREATED',
      gatewayStatus: 'authorized',
      amount: { amount: 29900, currency: 'INR' },
      gatewayAmount: { amount: 100, currency: 'INR' },
      mismatches: ['AMOUNT_MISMATCH'],
    });

    const paid = await createPayable(t, patient.id, { provider: 'razorpay' });
    const first = fake.pay(paid.checkout!.orderId, 'captured');
    await postWebhook(t, HOOK, razorpayEvent('payment.captured', { payment: { entity: first } }));
    const second = fake.pay(paid.checkout!.orderId, 'authorized');
    expect((await postWebhook(t, HOOK, authorized(second))).body.outcome).toBe('second_authorization');
    expect(
      await paymentsOf(t).service.capturePayment({ paymentId: paid.paymentId, paymentRef: second.id }),
    ).toBe('second_authorization');
    expect(captureCalls(second.id)).toHaveLength(0);
    expect(await paymentRow(t, paid.paymentId)).toMatchObject({
      payment_id: first.id,
      captured_minor: 29900,
    });
  });
});
