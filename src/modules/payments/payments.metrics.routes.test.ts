import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser, signIn, type TestUser } from '../../../test/factories/identity.js';
import { razorpayEvent } from '../../../test/payments/events.js';
import type { fakeRazorpay } from '../../../test/payments/fake-razorpay.js';
import {
  createPayable,
  moneySnapshot,
  paymentRow,
  postWebhook,
  sandboxEvent,
  startPaymentsApp,
} from '../../../test/payments/support.js';
import type { TestApp } from '../../../test/support/app.js';
import { createIdentityAuth } from '../identity/index.js';
import { createPaymentsModule } from './index.js';
import { captureJob, refundJob } from './payments.jobs.js';

const SANDBOX_HOOK = '/api/payment/webhook/sandbox';
const RAZORPAY_HOOK = '/api/payment/webhook/razorpay';

/** Every `payments_*` counter series in GET /metrics, keyed `webhook_events|provider|outcome`. */
async function readCounters(t: TestApp): Promise<Map<string, number>> {
  const res = await t.http.get<string>('/metrics');
  expect(res.status).toBe(200);
  const out = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    const m = line.match(/^payments_(\w+)_total\{([^}]*)\} (\d+)$/);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out.set(`${m[1]}|${labels.provider}|${labels.outcome}`, Number(m[3]));
  }
  return out;
}

/** What changed between two readings; an unchanged series is left out. */
function delta(before: Map<string, number>, after: Map<string, number>) {
  const changed: Record<string, number> = {};
  for (const [key, value] of after)
    if (value !== (before.get(key) ?? 0)) changed[key] = value - (before.get(key) ?? 0);
  return changed;
}

/** Payments' Prometheus counters, read from GET /metrics of the real app after real deliveries and jobs. */
describe('payments counters at GET /metrics', () => {
  let t: TestApp;
  let patient: TestUser;
  let admin: TestUser;
  let razorpay: ReturnType<typeof fakeRazorpay>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({
      t,
      patient,
      close,
      razorpay: { fake: razorpay },
    } = await startPaymentsApp({ razorpay: true }));
    admin = await createUser(t, { role: 'admin' });
  });
  afterAll(() => close?.());

  // With Razorpay configured it is the default provider; these payments go through the sandbox.
  const sandboxPayable = (opts: { amount?: number; revivable?: boolean } = {}) =>
    createPayable(t, patient.id, { provider: 'sandbox', ...opts });
  /** Counts what `fn` changed, and only that. */
  async function counted(fn: () => Promise<unknown>) {
    const before = await readCounters(t);
    await fn();
    return delta(before, await readCounters(t));
  }
  const refund = async (paymentId: string, body: object) =>
    t.http.post(`/api/admin/payments/${paymentId}/refunds`, body, {
      token: await signIn(t, admin.id, 'admin'),
    });
  /** Marks the sandbox's own record paid, as its hosted page would; it refuses refunds otherwise. */
  const paidAtSandbox = (checkoutId: string) =>
    t.platform.pool.query(`update sandbox_checkouts set status = 'paid', payment_ref = $2 where id = $1`, [
      checkoutId,
      `sbx_pay_${checkoutId.slice(4)}`,
    ]);

  test('a webhook delivered twice counts one succeeded and one duplicate', async () => {
    const { paymentId, checkout } = await sandboxPayable();
    const ev = sandboxEvent(t, checkout!.orderId, 'payment.succeeded');
    const changed = await counted(async () => {
      expect((await postWebhook(t, SANDBOX_HOOK, ev)).body.outcome).toBe('succeeded');
      expect((await postWebhook(t, SANDBOX_HOOK, ev)).body.outcome).toBe('duplicate');
    });
    expect(changed).toEqual({ 'webhook_events|sandbox|succeeded': 1, 'webhook_events|sandbox|duplicate': 1 });
    expect((await paymentRow(t, paymentId)).status).toBe('SUCCEEDED');
  });

  test('a tampered signature counts rejected, per provider, and stores nothing', async () => {
    const { checkout } = await sandboxPayable();
    const good = sandboxEvent(t, checkout!.orderId, 'payment.succeeded');
    const sandboxTampered = { ...good, body: good.body.replace('29900', '100') };
    const rz = razorpayEvent('payment.captured', {
      payment: { entity: { id: 'pay_x', order_id: 'order_x' } },
    });
    const rzTampered = { ...rz, headers: { ...rz.headers, 'x-razorpay-signature': '0'.repeat(64) } };
    const before = await moneySnapshot(t);
    const changed = await counted(async () => {
      const a = await postWebhook(t, SANDBOX_HOOK, sandboxTampered);
      expect(a).toMatchObject({ status: 400, body: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
      const b = await postWebhook(t, RAZORPAY_HOOK, rzTampered);
      expect(b).toMatchObject({ status: 400, body: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
    });
    expect(changed).toEqual({ 'webhook_events|sandbox|rejected': 1, 'webhook_events|razorpay|rejected': 1 });
    expect(await moneySnapshot(t)).toEqual(before);
  });

  test('a delivery whose transaction fails at commit counts nothing; its redelivery counts once', async () => {
    const { paymentId, checkout } = await sandboxPayable();
    const ev = sandboxEvent(t, checkout!.orderId, 'payment.succeeded');
    // A real fault at COMMIT, after everything in the transaction (counting included) has run: a
    // deferred constraint trigger on the inbox row fails once.
    await t.platform.pool.query(`
      create sequence test_metrics_crash_seq;
      create function test_metrics_crash_once() returns trigger as $$
      begin
        if nextval('test_metrics_crash_seq') = 1 then raise exception 'simulated outage at commit'; end if;
        return new;
      end $$ language plpgsql;
      create constraint trigger test_metrics_crash_once after insert on webhook_events
        deferrable initially deferred for each row execute function test_metrics_crash_once();`);
    try {
      const crashed = await counted(async () => {
        expect((await postWebhook(t, SANDBOX_HOOK, ev)).status).toBe(500);
      });
      expect(crashed).toEqual({});
      expect((await paymentRow(t, paymentId)).status).toBe('CREATED');
      const redelivered = await counted(async () => {
        expect((await postWebhook(t, SANDBOX_HOOK, ev)).body.outcome).toBe('succeeded');
      });
      expect(redelivered).toEqual({ 'webhook_events|sandbox|succeeded': 1 });
    } finally {
      await t.platform.pool.query(`
        drop trigger test_metrics_crash_once on webhook_events;
        drop function test_metrics_crash_once;
        drop sequence test_metrics_crash_seq;`);
    }
  });

  test('refunds count processed, or failed when the gateway refuses; a second job run counts nothing', async () => {
    const paid = await sandboxPayable({ amount: 10000 });
    await postWebhook(
      t,
      SANDBOX_HOOK,
      sandboxEvent(t, paid.checkout!.orderId, 'payment.succeeded', { amountMinor: 10000 }),
    );
    await paidAtSandbox(paid.checkout!.orderId);
    // Credited by us, but the sandbox never saw the money: it refuses the refund (a 4xx).
    const refused = await sandboxPayable({ amount: 5000 });
    await postWebhook(
      t,
      SANDBOX_HOOK,
      sandboxEvent(t, refused.checkout!.orderId, 'payment.succeeded', { amountMinor: 5000 }),
    );

    const changed = await counted(async () => {
      const a = await refund(paid.paymentId, {
        amount: 4000,
        reason: 'Goodwill',
        idempotencyKey: 'metrics-refund-ok',
      });
      const b = await refund(refused.paymentId, {
        reason: 'Cancelled',
        idempotencyKey: 'metrics-refund-refused',
      });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(await t.runJobs({ names: [refundJob.name] })).toBe(2);
      expect(await t.runJobs({ names: [refundJob.name] })).toBe(0);
    });
    expect(changed).toEqual({ 'refunds|sandbox|processed': 1, 'refunds|sandbox|failed': 1 });
    expect(await paymentRow(t, paid.paymentId)).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refunded_minor: 4000,
    });
    expect(await paymentRow(t, refused.paymentId)).toMatchObject({
      refunded_minor: 0,
      refund_pending_minor: 0,
    });
  });

  test('a refund pending at Razorpay counts pending, then processed once when its webhook confirms it', async () => {
    const { paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = razorpay.pay(checkout!.orderId);
    await postWebhook(t, RAZORPAY_HOOK, razorpayEvent('payment.captured', { payment: { entity: p } }));
    razorpay.setRefundStatus('pending');
    try {
      const pending = await counted(async () => {
        expect(
          (await refund(paymentId, { amount: 9900, reason: 'Partial', idempotencyKey: 'metrics-rzp-1' }))
            .status,
        ).toBe(201);
        await t.runJobs({ names: [refundJob.name] });
      });
      expect(pending).toEqual({ 'refunds|razorpay|pending': 1 });
    } finally {
      razorpay.setRefundStatus('processed');
    }
    const r = razorpay.refunds.find((x) => x.payment_id === p.id)!;
    const confirm = () =>
      razorpayEvent('refund.processed', {
        refund: { entity: { ...r, status: 'processed' } },
        payment: { entity: p },
      });
    const confirmed = await counted(async () => {
      expect((await postWebhook(t, RAZORPAY_HOOK, confirm())).body.outcome).toBe('refund_processed');
      // Another event about the same refund: recorded as no_change, no second processed refund.
      expect((await postWebhook(t, RAZORPAY_HOOK, confirm())).body.outcome).toBe('no_change');
    });
    expect(confirmed).toEqual({
      'webhook_events|razorpay|refund_processed': 1,
      'webhook_events|razorpay|no_change': 1,
      'refunds|razorpay|processed': 1,
    });
  });

  test('late money counts its outcome: refund for a payable that gave up, fulfilled for one that can still take it', async () => {
    const gaveUp = await sandboxPayable();
    await paidAtSandbox(gaveUp.checkout!.orderId);
    const revivable = await sandboxPayable({ revivable: true });
    t.clock.advanceMinutes(16);
    const changed = await counted(async () => {
      const a = await postWebhook(
        t,
        SANDBOX_HOOK,
        sandboxEvent(t, gaveUp.checkout!.orderId, 'payment.succeeded'),
      );
      expect(a.body.outcome).toBe('late_refund');
      const b = await postWebhook(
        t,
        SANDBOX_HOOK,
        sandboxEvent(t, revivable.checkout!.orderId, 'payment.succeeded'),
      );
      expect(b.body.outcome).toBe('late_fulfilled');
      await t.runJobs({ names: [refundJob.name] });
    });
    expect(changed).toEqual({
      'webhook_events|sandbox|late_refund': 1,
      'webhook_events|sandbox|late_fulfilled': 1,
      'late_money|sandbox|refund': 1,
      'late_money|sandbox|fulfilled': 1,
      'refunds|sandbox|processed': 1,
    });
    expect(await paymentRow(t, gaveUp.paymentId)).toMatchObject({
      status: 'REFUNDED',
      late_outcome: 'refund',
    });
  });

  test('a Razorpay authorisation counts capture_queued, then one succeeded capture however often the job runs', async () => {
    const { paymentId, checkout } = await createPayable(t, patient.id, { provider: 'razorpay' });
    const p = razorpay.pay(checkout!.orderId, 'authorized');
    const authorized = razorpayEvent('payment.authorized', {
      payment: { entity: { ...p, status: 'authorized', captured: false } },
    });
    const changed = await counted(async () => {
      expect((await postWebhook(t, RAZORPAY_HOOK, authorized)).body.outcome).toBe('capture_queued');
      expect(await t.runJobs({ names: [captureJob.name] })).toBe(1);
      expect(await t.runJobs({ names: [captureJob.name] })).toBe(0);
    });
    expect(changed).toEqual({
      'webhook_events|razorpay|capture_queued': 1,
      'captures|razorpay|succeeded': 1,
    });
    expect((await paymentRow(t, paymentId)).status).toBe('SUCCEEDED');
  });

  test('a second payments module in the same process shares the counters instead of failing to start', async () => {
    const { auth } = createIdentityAuth(t.platform);
    const service = (name: string) =>
      (t.modules.find((m) => m.name === name) as unknown as { service: never }).service;
    const second = createPaymentsModule({
      ...t.platform,
      auth,
      messaging: service('messaging'),
      identity: service('identity'),
    });
    const { checkout } = await sandboxPayable();
    const good = sandboxEvent(t, checkout!.orderId, 'payment.succeeded');
    const changed = await counted(async () => {
      await expect(
        second.service.ingestWebhook('sandbox', Buffer.from(good.body.replace('29900', '100')), good.headers),
      ).rejects.toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
      expect((await postWebhook(t, SANDBOX_HOOK, good)).body.outcome).toBe('succeeded');
    });
    expect(changed).toEqual({ 'webhook_events|sandbox|rejected': 1, 'webhook_events|sandbox|succeeded': 1 });
  });
});
