import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser, signIn, type TestUser } from '../../../test/factories/identity.js';
import {
  createPayable,
  moneySnapshot,
  notificationsFor,
  payableState,
  paymentRow,
  paymentsOf,
  postWebhook,
  sandboxEvent,
  startPaymentsApp,
} from '../../../test/payments/support.js';
import type { TestApp } from '../../../test/support/app.js';

const HOOK = '/api/payment/webhook/sandbox';

describe('refunds, late payments and reconciliation (sandbox gateway)', () => {
  let t: TestApp;
  let patient: TestUser;
  let admin: TestUser;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, patient, close } = await startPaymentsApp());
    admin = await createUser(t, { role: 'admin' });
  });
  afterAll(() => close?.());

  async function paidPayment(amount = 29900) {
    const made = await createPayable(t, patient.id, { amount });
    const res = await postWebhook(
      t,
      HOOK,
      sandboxEvent(t, made.checkout!.orderId, 'payment.succeeded', { amountMinor: amount }),
    );
    expect(res.body.outcome).toBe('succeeded');
    // The sandbox's own record must be paid too, or it refuses refunds (like a real gateway).
    await t.platform.pool.query(
      `update sandbox_checkouts set status = 'paid', payment_ref = $2 where id = $1`,
      [made.checkout!.orderId, `sbx_pay_${made.checkout!.orderId.slice(4)}`],
    );
    return made;
  }
  // Access tokens live 15 minutes and these tests move the clock: sign in afresh for each call.
  const adminToken = () => signIn(t, admin.id, 'admin');
  const refund = async (paymentId: string, body: object, token?: string) =>
    t.http.post(`/api/admin/payments/${paymentId}/refunds`, body, { token: token ?? (await adminToken()) });

  test('partial then full refund; a refund larger than what is left is refused before the gateway', async () => {
    const { paymentId } = await paidPayment(10000);
    const first = await refund(paymentId, {
      amount: 4000,
      reason: 'Goodwill',
      idempotencyKey: 'refund-partial-1',
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ amount: 4000, status: 'PENDING' });
    await t.runJobs({ names: ['payments.refund'] });
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded_minor: 4000,
    });

    const before = await moneySnapshot(t);
    const tooMuch = await refund(paymentId, {
      amount: 6001,
      reason: 'Too much',
      idempotencyKey: 'refund-over-1',
    });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.code).toBe('REFUND_EXCEEDS_PAYMENT');
    expect(await moneySnapshot(t)).toEqual(before);

    const rest = await refund(paymentId, { reason: 'Cancelled', idempotencyKey: 'refund-rest-1' });
    expect(rest.body).toMatchObject({ amount: 6000 });
    await t.runJobs({ names: ['payments.refund'] });
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'REFUNDED',
      refunded_minor: 10000,
      refund_pending_minor: 0,
    });
    const nothingLeft = await refund(paymentId, {
      amount: 1,
      reason: 'Again',
      idempotencyKey: 'refund-again-1',
    });
    expect(nothingLeft.status).toBe(409);
    const receipts = (await notificationsFor(t, patient.id)).filter(
      (n) => n.template_id === 'refund_processed',
    );
    expect(receipts.length).toBeGreaterThanOrEqual(2);
    const list = await t.http.get(`/api/admin/payments/${paymentId}/refunds`, { token: await adminToken() });
    expect(list.body.map((r: { amountMinor: number; status: string }) => [r.amountMinor, r.status])).toEqual([
      [4000, 'PROCESSED'],
      [6000, 'PROCESSED'],
    ]);
  });

  test('a retried refund (same key) is one refund; the same key for another amount is a conflict', async () => {
    const { paymentId } = await paidPayment(5000);
    const a = await refund(paymentId, { amount: 1000, reason: 'Retry me', idempotencyKey: 'refund-retry-1' });
    const b = await refund(paymentId, { amount: 1000, reason: 'Retry me', idempotencyKey: 'refund-retry-1' });
    expect(b.body.refundId).toBe(a.body.refundId);
    const c = await refund(paymentId, { amount: 2000, reason: 'Retry me', idempotencyKey: 'refund-retry-1' });
    expect(c.status).toBe(409);
    expect(c.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // The gateway made the refund but its answer was lost (timeout): the gateway already holds it.
    await t.platform.pool.query(
      `update sandbox_checkouts sc set refunded_minor = 1000, refund_ids = array['refund-retry-1']
       from payments p where p.order_id = sc.id and p.id = $1`,
      [paymentId],
    );
    // The retried job (twice, as a redelivery would) refunds once.
    await t.runJobs({ names: ['payments.refund'] });
    await paymentsOf(t).service.processRefund(a.body.refundId);
    expect(await paymentRow(t, paymentId)).toMatchObject({
      refunded_minor: 1000,
      status: 'PARTIALLY_REFUNDED',
    });
    const { rows } = await t.platform.pool.query(
      'select sc.refunded_minor from sandbox_checkouts sc join payments p on p.order_id = sc.id where p.id = $1',
      [paymentId],
    );
    expect(rows[0].refunded_minor).toBe(1000);
  });

  test('two partial refunds over the captured amount at once: one wins, the other is refused', async () => {
    const { paymentId } = await paidPayment(10000);
    const results = await Promise.allSettled([
      refund(paymentId, { amount: 7000, reason: 'A', idempotencyKey: 'refund-race-a' }),
      refund(paymentId, { amount: 7000, reason: 'B', idempotencyKey: 'refund-race-b' }),
    ]);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0)).sort();
    expect(statuses).toEqual([201, 409]);
    await t.runJobs({ names: ['payments.refund'] });
    expect(await paymentRow(t, paymentId)).toMatchObject({
      refunded_minor: 7000,
      status: 'PARTIALLY_REFUNDED',
    });
  });

  test('refund endpoint: admin only, bad input is a 400, unknown payment 404, unpaid 409', async () => {
    const { paymentId } = await createPayable(t, patient.id);
    expect(
      (
        await refund(
          paymentId,
          { reason: 'x', idempotencyKey: 'refund-authz-1' },
          await signIn(t, patient.id, 'patient'),
        )
      ).status,
    ).toBe(403);
    expect(
      (await refund(paymentId, { amount: -5, reason: 'x', idempotencyKey: 'refund-bad-1' })).status,
    ).toBe(400);
    expect(
      (await refund(paymentId, { amount: 1.5, reason: 'x', idempotencyKey: 'refund-bad-2' })).status,
    ).toBe(400);
    expect(
      (await refund('00000000-0000-4000-8000-000000000000', { reason: 'x', idempotencyKey: 'refund-404-1' }))
        .status,
    ).toBe(404);
    const unpaid = await refund(paymentId, { reason: 'x', idempotencyKey: 'refund-unpaid-1' });
    expect(unpaid.status).toBe(409);
    expect(unpaid.body.code).toBe('PAYMENT_NOT_REFUNDABLE');
  });

  test('money after the hold lapsed, payable gave up: full automatic refund and the patient is told', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    await t.platform.pool.query(
      `update sandbox_checkouts set status = 'paid', payment_ref = $2 where id = $1`,
      [checkout!.orderId, `sbx_pay_${checkout!.orderId.slice(4)}`],
    );
    t.clock.advanceMinutes(16);
    const res = await postWebhook(t, HOOK, sandboxEvent(t, checkout!.orderId, 'payment.succeeded'));
    expect(res.body.outcome).toBe('late_refund');
    expect(await payableState(t, payableId)).toEqual({ status: 'lapsed', calls: ['late:refund'] });
    await t.runJobs({ names: ['payments.refund'] });
    const p = await paymentRow(t, paymentId);
    expect(p).toMatchObject({ status: 'REFUNDED', late_outcome: 'refund', refunded_minor: 29900 });
    const { rows } = await t.platform.pool.query(
      'select source, idempotency_key from refunds where payment_id = $1',
      [paymentId],
    );
    expect(rows).toEqual([{ source: 'late', idempotency_key: `payment:${paymentId}:late-refund` }]);
    const templates = (await notificationsFor(t, patient.id))
      .filter((n) => n.idempotency_key.includes(paymentId) || n.idempotency_key.startsWith('refund:'))
      .map((n) => n.template_id);
    expect(templates).toContain('payment_received');
    expect(templates).toContain('refund_processed');
    // Redelivery of the same money changes nothing (one outcome only).
    expect(
      (await postWebhook(t, HOOK, sandboxEvent(t, checkout!.orderId, 'payment.succeeded'))).body.outcome,
    ).toBe('already_paid');
  });

  test('money after expiry for a payable that can still be fulfilled: fulfilled, no refund', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { revivable: true });
    t.clock.advanceMinutes(16);
    await paymentsOf(t).service.settleOverdue(paymentId);
    expect((await paymentRow(t, paymentId)).status).toBe('EXPIRED');
    const res = await postWebhook(t, HOOK, sandboxEvent(t, checkout!.orderId, 'payment.succeeded'));
    expect(res.body.outcome).toBe('late_fulfilled');
    expect(await payableState(t, payableId)).toEqual({
      status: 'active',
      calls: ['expired', 'late:fulfilled'],
    });
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      late_outcome: 'fulfilled',
      refund_pending_minor: 0,
    });
  });

  test('a missed webhook is repaired by the reconciliation job from the gateway status', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    // The patient paid on the hosted page, but the webhook never arrives.
    const paid = await fetch(`${t.url}/sandbox/checkout/${checkout!.orderId}/pay`, {
      method: 'POST',
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    await t.platform.pool.query(`delete from pgboss.job where name = 'payments.sandbox-deliver'`);
    // A second payable pays nothing and is still open at the gateway.
    const idle = await createPayable(t, patient.id);
    // Past the hold (15 minutes) and past the grace the report allows (15 more).
    t.clock.advanceMinutes(31);
    const report = await t.http.get('/api/admin/reconciliation', { token: await adminToken() });
    expect(report.status).toBe(200);
    const listed = report.body.mismatches.filter((m: { paymentId: string }) =>
      [paymentId, idle.paymentId].includes(m.paymentId),
    );
    expect(listed.map((m: { mismatches: string[] }) => m.mismatches)).toEqual([
      ['OVERDUE_UNSETTLED'],
      ['OVERDUE_UNSETTLED'],
    ]);

    const res = await paymentsOf(t).service.reconcileDue();
    expect(res.changed).toBeGreaterThanOrEqual(2);
    // Paid before expiry at the gateway, seen after the hold lapsed: on time all the same (issue 12).
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'SUCCEEDED', gateway_status: 'paid' });
    expect((await payableState(t, payableId)).calls).toEqual(['succeeded']);
    expect(await paymentRow(t, idle.paymentId)).toMatchObject({ status: 'EXPIRED' });
    expect((await payableState(t, idle.payableId)).calls).toEqual(['expired']);
    const { rows } = await t.platform.pool.query('select status from sandbox_checkouts where id = $1', [
      idle.checkout!.orderId,
    ]);
    expect(rows[0].status).toBe('expired');
    // Running it again finds nothing new.
    const again = await paymentsOf(t).service.reconcileDue();
    expect(again.changed).toBe(0);
  });

  test('reconciliation lists a payable that disagrees with its payment, for admins only', async () => {
    const { payableId, paymentId } = await paidPayment(2500);
    await t.platform.pool.query(`update test_payables set status = 'failed' where id = $1`, [payableId]);
    const report = await t.http.get('/api/admin/reconciliation', { token: await adminToken() });
    const row = report.body.mismatches.find((m: { paymentId: string }) => m.paymentId === paymentId);
    expect(row).toMatchObject({
      payableState: 'failed',
      status: 'SUCCEEDED',
      mismatches: ['PAYABLE_NOT_FULFILLED'],
    });
    expect(
      (await t.http.get('/api/admin/reconciliation', { token: await signIn(t, patient.id, 'patient') }))
        .status,
    ).toBe(403);
  });

  test('a success for a different amount is never credited and is listed as AMOUNT_MISMATCH', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { amount: 29900 });
    const notifications = (await notificationsFor(t, patient.id)).length;
    const res = await postWebhook(
      t,
      HOOK,
      sandboxEvent(t, checkout!.orderId, 'payment.succeeded', { amountMinor: 100 }),
    );
    expect(res).toMatchObject({ status: 200, body: { outcome: 'amount_mismatch' } });
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'CREATED',
      captured_minor: 0,
      paid_at: null,
      gateway_amount_minor: 100,
    });
    expect(await payableState(t, payableId)).toEqual({ status: 'pending', calls: [] });
    expect((await notificationsFor(t, patient.id)).length).toBe(notifications);

    const report = await t.http.get('/api/admin/reconciliation', { token: await adminToken() });
    expect(report.status).toBe(200);
    const row = report.body.mismatches.find((m: { paymentId: string }) => m.paymentId === paymentId);
    expect(row).toEqual({
      paymentId,
      payableKind: 'subscription',
      payableId,
      provider: 'sandbox',
      orderId: checkout!.orderId,
      status: 'CREATED',
      gatewayStatus: 'paid',
      payableState: 'pending',
      amount: { amount: 29900, currency: 'INR' },
      gatewayAmount: { amount: 100, currency: 'INR' },
      refunded: { amount: 0, currency: 'INR' },
      mismatches: ['GATEWAY_PAID_NOT_RECORDED', 'AMOUNT_MISMATCH'],
    });
  });

  test('the database refuses a backwards state change even if code tried one', async () => {
    const { paymentId } = await paidPayment(1000);
    await expect(
      t.platform.pool.query(`update payments set status = 'FAILED' where id = $1`, [paymentId]),
    ).rejects.toThrow(/cannot move from SUCCEEDED to FAILED/);
    await expect(
      t.platform.pool.query('update payments set refund_pending_minor = 2000 where id = $1', [paymentId]),
    ).rejects.toThrow(/payments_refund_ceiling/);
  });
});
