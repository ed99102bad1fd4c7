import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
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

describe('payments with the sandbox gateway', () => {
  let t: TestApp;
  let patient: TestUser;
  let other: TestUser;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, patient, close } = await startPaymentsApp());
    other = await createUser(t, { role: 'patient' });
  });
  afterAll(() => close?.());

  test('paid path: the hosted page pays, the signed webhook arrives over HTTP, the payable is told once', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    expect(checkout).toMatchObject({ provider: 'sandbox', amount: 29900, currency: 'INR' });
    expect(checkout!.checkoutUrl).toMatch(/\/sandbox\/checkout\/sbx_[0-9a-f]{32}$/);
    const path = new URL(checkout!.checkoutUrl!).pathname;
    const page = await fetch(t.url + path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('INR 299.00');

    const paid = await fetch(`${t.url}${path}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toContain(`${path}/done?`);
    expect((await paymentRow(t, paymentId)).status).toBe('CREATED');

    await t.runJobs({ names: ['payments.sandbox-deliver'] });
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'SUCCEEDED', captured_minor: 29900 });
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });
    const templates = (await notificationsFor(t, patient.id)).map((n) => n.template_id);
    expect(templates).toContain('payment_received');

    // The browser's return carries the callback proof; verifying it now changes nothing more.
    const q = new URL(paid.headers.get('location')!, t.url).searchParams;
    const verified = await t.http.post(
      '/api/payment/verify',
      {
        payableKind: 'subscription',
        payableId,
        provider: 'sandbox',
        orderId: q.get('orderId'),
        paymentId: q.get('paymentId'),
        signature: q.get('signature'),
      },
      { token: patient.token },
    );
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      id: paymentId,
      status: 'SUCCEEDED',
      amount: { amount: 29900, currency: 'INR' },
    });
    expect((await payableState(t, payableId)).calls).toEqual(['succeeded']);
  });

  test('the client callback alone confirms a payment (webhook not yet delivered), once', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    const path = new URL(checkout!.checkoutUrl!).pathname;
    const paid = await fetch(`${t.url}${path}/pay`, { method: 'POST', redirect: 'manual' });
    const q = new URL(paid.headers.get('location')!, t.url).searchParams;
    const body = {
      payableKind: 'subscription',
      payableId,
      provider: 'sandbox',
      orderId: q.get('orderId'),
      paymentId: q.get('paymentId'),
      signature: q.get('signature'),
    };
    // Two client callbacks and the gateway's webhook, all at once: one credit.
    const webhook = sandboxEvent(t, q.get('orderId')!, 'payment.succeeded');
    const [a, b, w] = await Promise.all([
      t.http.post('/api/payment/verify', body, { token: patient.token }),
      t.http.post('/api/payment/verify', body, { token: patient.token }),
      postWebhook(t, HOOK, webhook),
    ]);
    expect(w.status).toBe(200);
    expect([a.status, b.status]).toEqual([200, 200]);
    await t.runJobs({ names: ['payments.sandbox-deliver'] });
    expect((await paymentRow(t, paymentId)).status).toBe('SUCCEEDED');
    expect((await payableState(t, payableId)).calls).toEqual(['succeeded']);

    const forged = await t.http.post(
      '/api/payment/verify',
      { ...body, signature: 'f'.repeat(64) },
      { token: patient.token },
    );
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe('PAYMENT_VERIFICATION_FAILED');
    const notMine = await t.http.post('/api/payment/verify', body, { token: other.token });
    expect(notMine.status).toBe(404);
  });

  test('OpenAPI describes the payment endpoints with tags and summaries', async () => {
    const doc = (await t.http.get('/openapi.json')).body;
    for (const [path, method] of [
      ['/api/payment/create-order', 'post'],
      ['/api/payment/verify', 'post'],
      ['/api/payment/webhook', 'post'],
      ['/api/payment/webhook/stripe', 'post'],
      ['/api/payment/webhook/razorpay', 'post'],
      ['/api/payment/webhook/sandbox', 'post'],
      ['/api/admin/payments/{id}/refunds', 'post'],
      ['/api/admin/reconciliation', 'get'],
    ] as const) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.tags).toContain('payments');
      expect(op.summary).toBeTruthy();
    }
  });

  test('the sandbox checkout and expiry job are written with the payment, in the payable transaction, once', async () => {
    const counts = async () =>
      (
        await t.platform.pool.query(
          `select (select count(*)::int from sandbox_checkouts) as checkouts,
                  (select count(*)::int from pgboss.job where name = 'payments.expire') as jobs`,
        )
      ).rows[0];
    const service = paymentsOf(t).service;
    const input = (payableId: string) => ({
      payableKind: 'subscription' as const,
      payableId,
      patientId: patient.id,
      amount: { amount: 29900, currency: 'INR' },
      expiresAt: new Date(t.clock.now().getTime() + 15 * 60_000),
      description: 'Standard plan',
      idempotencyKey: `test-sub:one-statement:${payableId}`,
    });
    const before = await counts();
    // Rolled back with the payable's transaction: no payment, no checkout, no job.
    await expect(
      t.platform.uow(async (tx) => {
        await service.preparePayment(tx, input('00000000-0000-4000-8000-000000000001'));
        throw new Error('the payable gave up');
      }),
    ).rejects.toThrow('the payable gave up');
    expect(await counts()).toEqual(before);

    const { payableId, paymentId } = await createPayable(t, patient.id, { open: false });
    const row = await paymentRow(t, paymentId);
    expect(row.order_id).toBe(`sbx_${paymentId.replace(/-/g, '')}`);
    const { rows } = await t.platform.pool.query('select * from sandbox_checkouts where id = $1', [
      row.order_id,
    ]);
    expect(rows[0]).toMatchObject({
      status: 'open',
      amount_minor: 29900,
      currency: 'INR',
      description: 'Standard plan',
    });
    expect(rows[0].expires_at).toEqual(row.expires_at);
    const afterFirst = await counts();
    expect(afterFirst).toEqual({ checkouts: before.checkouts + 1, jobs: before.jobs + 1 });
    // The same key again: the same payment back; no second checkout (its extra expiry job names no payment).
    const again = await t.platform.uow((tx) =>
      service.preparePayment(tx, { ...input(payableId), idempotencyKey: `test-sub:${payableId}` }),
    );
    expect(again.paymentId).toBe(paymentId);
    expect((await counts()).checkouts).toBe(afterFirst.checkouts);
    expect(await service.openCheckout(paymentId)).toMatchObject({ orderId: row.order_id });
  });

  test('create-order returns the same checkout; another patient gets 404', async () => {
    const { payableId, checkout } = await createPayable(t, patient.id);
    const again = await t.http.post(
      '/api/payment/create-order',
      { payableKind: 'subscription', payableId },
      { token: patient.token },
    );
    expect(again.status).toBe(200);
    expect(again.body.orderId).toBe(checkout!.orderId);
    const stranger = await t.http.post(
      '/api/payment/create-order',
      { payableKind: 'subscription', payableId },
      { token: other.token },
    );
    expect(stranger.status).toBe(404);
    const bad = await t.http.post(
      '/api/payment/create-order',
      { payableKind: 'nope', payableId },
      { token: patient.token },
    );
    expect(bad.status).toBe(400);
  });

  test('20 concurrent deliveries of one event give one effect', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    const ev = sandboxEvent(t, checkout!.orderId, 'payment.succeeded', { id: 'sbx_evt_concurrent_1' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => postWebhook(t, HOOK, ev)));
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value.body.outcome : ''));
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19);
    expect((await payableState(t, payableId)).calls).toEqual(['succeeded']);
    const { rows } = await t.platform.pool.query(
      'select count(*)::int as n from webhook_events where event_id = $1',
      ['sbx_evt_concurrent_1'],
    );
    expect(rows[0].n).toBe(1);
    expect((await paymentRow(t, paymentId)).captured_minor).toBe(29900);
    const receipts = (await notificationsFor(t, patient.id)).filter(
      (n) => n.idempotency_key === `payment:${paymentId}:received`,
    );
    expect(receipts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(receipts.map((r) => r.template_id))).toEqual(new Set(['payment_received']));
  });

  test('out of order: a failure after success changes nothing; the same event three times is one', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    const ok = sandboxEvent(t, checkout!.orderId, 'payment.succeeded');
    for (let i = 0; i < 3; i++) expect((await postWebhook(t, HOOK, ok)).status).toBe(200);
    const failed = await postWebhook(t, HOOK, sandboxEvent(t, checkout!.orderId, 'payment.failed'));
    expect(failed.body.outcome).toBe('stale_failed');
    const expired = await postWebhook(t, HOOK, sandboxEvent(t, checkout!.orderId, 'checkout.expired'));
    expect(expired.body.outcome).toBe('stale_expired');
    expect((await paymentRow(t, paymentId)).status).toBe('SUCCEEDED');
    expect((await payableState(t, payableId)).calls).toEqual(['succeeded']);
  });

  test('every permutation of {succeeded, failed, expired} ends paid, with money credited once', async () => {
    const types = ['payment.succeeded', 'payment.failed', 'checkout.expired'];
    const perms = types.flatMap((a) =>
      types.filter((b) => b !== a).map((b) => [a, b, types.find((c) => c !== a && c !== b)!]),
    );
    expect(perms).toHaveLength(6);
    for (const order of perms) {
      const { paymentId, checkout, payableId } = await createPayable(t, patient.id, { revivable: true });
      for (const type of order)
        expect((await postWebhook(t, HOOK, sandboxEvent(t, checkout!.orderId, type))).status).toBe(200);
      const p = await paymentRow(t, paymentId);
      expect(p.status).toBe('SUCCEEDED');
      expect(p.captured_minor).toBe(29900);
      expect((await payableState(t, payableId)).status).toBe('active');
    }
  });

  test('the reconciler and a late webhook at once: one credit', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    await t.platform.pool.query(
      `update sandbox_checkouts set status = 'paid', payment_ref = $2 where id = $1`,
      [checkout!.orderId, `sbx_pay_${checkout!.orderId.slice(4)}`],
    );
    t.clock.advanceMinutes(16);
    const service = paymentsOf(t).service;
    const ev = sandboxEvent(t, checkout!.orderId, 'payment.succeeded');
    const results = await Promise.allSettled([
      service.settleOverdue(paymentId),
      postWebhook(t, HOOK, ev),
      service.settleOverdue(paymentId),
      postWebhook(t, HOOK, ev),
    ]);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await paymentRow(t, paymentId)).toMatchObject({
      status: 'SUCCEEDED',
      late_outcome: 'refund',
      captured_minor: 29900,
    });
    expect((await payableState(t, payableId)).calls).toEqual(['late:refund']);
    const { rows } = await t.platform.pool.query(
      'select count(*)::int as n from refunds where payment_id = $1',
      [paymentId],
    );
    expect(rows[0].n).toBe(1);
  });

  test('bad signatures are a 400 and change nothing', async () => {
    const { checkout } = await createPayable(t, patient.id);
    const ev = sandboxEvent(t, checkout!.orderId, 'payment.succeeded');
    const before = await moneySnapshot(t);
    const cases = [
      { body: ev.body.replace('29900', '29901'), headers: ev.headers },
      sandboxEvent(t, checkout!.orderId, 'payment.succeeded', { secret: 'x'.repeat(40) }),
      sandboxEvent(t, checkout!.orderId, 'payment.succeeded', {
        timestamp: Math.floor(t.clock.now().getTime() / 1000) - 301,
      }),
      { body: ev.body, headers: { 'content-type': 'application/json' } },
      { body: ev.body, headers: { 'content-type': 'application/json', 'x-sandbox-signature': '' } },
      { body: ev.body, headers: { 'content-type': 'application/json', 'x-sandbox-signature': 'garbage' } },
      { body: JSON.stringify(JSON.parse(ev.body), null, 2), headers: ev.headers },
    ];
    for (const c of cases) {
      const res = await postWebhook(t, HOOK, c);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    expect(await moneySnapshot(t)).toEqual(before);
  });

  test('unknown event types and unknown objects are stored and acknowledged', async () => {
    const { checkout, paymentId } = await createPayable(t, patient.id);
    const odd = await postWebhook(
      t,
      HOOK,
      sandboxEvent(t, checkout!.orderId, 'payment.mystery', { id: 'sbx_evt_odd' }),
    );
    expect(odd).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
    const ghost = await postWebhook(
      t,
      HOOK,
      sandboxEvent(t, `sbx_${'0'.repeat(32)}`, 'payment.succeeded', { id: 'sbx_evt_ghost' }),
    );
    expect(ghost).toMatchObject({ status: 200, body: { outcome: 'unknown_object' } });
    const { rows } = await t.platform.pool.query(
      `select event_id, outcome, processed_at is not null as processed from webhook_events where event_id in ('sbx_evt_odd', 'sbx_evt_ghost') order by event_id`,
    );
    expect(rows).toEqual([
      { event_id: 'sbx_evt_ghost', outcome: 'unknown_object', processed: true },
      { event_id: 'sbx_evt_odd', outcome: 'ignored', processed: true },
    ]);
    expect((await paymentRow(t, paymentId)).status).toBe('CREATED');
  });

  test('a crash while applying rolls back the event claim; the redelivery applies once', async () => {
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    // A sequence is not transactional, so the crash happens exactly once even though it rolls back.
    await t.platform.pool.query(`
      create sequence test_crash_seq;
      create or replace function test_crash_once() returns trigger as $$
      begin
        if nextval('test_crash_seq') = 1 then
          raise exception 'simulated crash after the payment write';
        end if;
        return new;
      end $$ language plpgsql;
      create trigger test_crash_once after update on test_payables for each row execute function test_crash_once();`);
    const ev = sandboxEvent(t, checkout!.orderId, 'payment.succeeded', { id: 'sbx_evt_crash' });
    const first = await postWebhook(t, HOOK, ev);
    expect(first.status).toBe(500);
    expect((await paymentRow(t, paymentId)).status).toBe('CREATED');
    const { rows } = await t.platform.pool.query(
      `select count(*)::int as n from webhook_events where event_id = 'sbx_evt_crash'`,
    );
    expect(rows[0].n).toBe(0);
    const again = await postWebhook(t, HOOK, ev);
    expect(again.body.outcome).toBe('succeeded');
    expect((await postWebhook(t, HOOK, ev)).body.outcome).toBe('duplicate');
    expect((await payableState(t, payableId)).calls).toEqual(['succeeded']);
  });
});
