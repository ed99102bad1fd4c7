import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkLedgerInvariants, setPlan, subscribe } from '../../../test/billing/support.js';
import { type BookingScene, bookAndPay, bookingScene } from '../../../test/factories/booking.js';
import { postWebhook, sandboxEvent } from '../../../test/payments/support.js';

let s: BookingScene;
beforeAll(async () => {
  s = await bookingScene();
});
afterAll(async () => {
  await checkLedgerInvariants(s.t);
  await s.t.close();
});

const wallet = async () => (await s.t.http.get('/api/wallet', { token: s.doc.token })).body;
const transfers = async () => Number((await s.rows('select count(*) from ledger_transfers'))[0].count);
const balances = async () => {
  const tb = (await s.t.http.get('/api/admin/ledger/trial-balance', { token: s.admin.token })).body;
  expect(tb.balanced).toBe(true);
  return Object.fromEntries(
    tb.rows
      .filter((r: { currency: string }) => r.currency === 'INR')
      .map((r: { kind: string; posted: number }) => [r.kind, r.posted]),
  ) as Record<string, number> & { refunds: number; platform_revenue: number; deferred_revenue: number };
};
async function adminRefund(paymentId: string, key: string, amount?: number) {
  const res = await s.t.http.post(
    `/api/admin/payments/${paymentId}/refunds`,
    { reason: 'Admin refund', idempotencyKey: key, ...(amount ? { amount } : {}) },
    { token: s.admin.token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await s.t.runJobs({ names: ['payments.refund'] });
  const [r] = await s.rows('select id, status, gateway_refund_id from refunds where id = $1', [
    res.body.refundId,
  ]);
  expect(r.status).toBe('PROCESSED');
  return r as { id: string; gateway_refund_id: string };
}
/** The gateway's refund webhook for a refund we made, delivered `times` times. */
async function refundWebhook(paymentId: string, r: { id: string; gateway_refund_id: string }, times: number) {
  const [p] = await s.rows('select order_id, amount_minor from payments where id = $1', [paymentId]);
  for (let i = 0; i < times; i++) {
    const ev = sandboxEvent(s.t, p.order_id, 'refund.processed', {
      id: `sbx_evt_refund_${r.id.replace(/-/g, '')}`,
      amountMinor: p.amount_minor,
      extra: { refund: { id: r.gateway_refund_id, refundId: r.id, amountMinor: p.amount_minor } },
    });
    const res = await postWebhook(s.t, '/api/payment/webhook/sandbox', ev);
    expect(res.status).toBeLessThan(300);
  }
}

describe('admin refunds made through payments reach the ledger exactly once', () => {
  test('appointment escrow: a partial refund is a concession, the full refund voids the pending earning; duplicated webhooks change nothing', async () => {
    const { t, doc, alice } = s;
    const appt = await bookAndPay(t, alice, doc.id, s.slot(3, '10:00'));
    expect(await wallet()).toMatchObject({ pending: { amount: 40_000 } });

    const partial = await adminRefund(appt.paymentId, 'goodwill-partial-1', 10_000);
    expect(await wallet()).toMatchObject({ posted: { amount: 0 }, pending: { amount: 40_000 } });
    expect(await balances()).toMatchObject({ refunds: 10_000, platform_revenue: -10_000 });
    const afterPartial = await transfers();
    await refundWebhook(appt.paymentId, partial, 3);
    expect(await transfers()).toBe(afterPartial);

    const rest = await adminRefund(appt.paymentId, 'rest-of-it-1');
    expect(await wallet()).toMatchObject({ posted: { amount: 0 }, pending: { amount: 0 } });
    // The escrow paid the whole INR 500.00 back; the earlier concession went back to the platform.
    expect(await balances()).toMatchObject({
      refunds: 50_000,
      platform_revenue: 0,
      patient_escrow: 0,
      doctor_wallet: 0,
    });
    const afterFull = await transfers();
    await refundWebhook(appt.paymentId, rest, 2);
    await Promise.allSettled([
      refundWebhook(appt.paymentId, rest, 1),
      refundWebhook(appt.paymentId, rest, 1),
    ]);
    expect(await transfers()).toBe(afterFull);
  });

  test('an earning already posted is taken back from the wallet by a full admin refund', async () => {
    const { t, doc, alice } = s;
    const appt = await bookAndPay(t, alice, doc.id, s.slot(4, '11:00'));
    const started = await t.http.post(
      '/api/sessions/text',
      { appointmentId: appt.id },
      { token: alice.token },
    );
    const id = started.body.session.id;
    await t.http.post(`/api/sessions/text/${id}/activate`, {}, { token: doc.token });
    await t.http.post(`/api/sessions/text/${id}/end`, {}, { token: doc.token });
    expect(await wallet()).toMatchObject({ posted: { amount: 40_000 }, pending: { amount: 0 } });
    const before = await balances();
    await adminRefund(appt.paymentId, 'after-session');
    expect(await wallet()).toMatchObject({ posted: { amount: 0 }, pending: { amount: 0 } });
    const after = await balances();
    expect(after.refunds - before.refunds).toBe(50_000);
    expect(after.platform_revenue - before.platform_revenue).toBe(-10_000);
  });

  test('a plan purchase refunded in full: deferred revenue pays it back, credits end, the subscription is REFUNDED', async () => {
    const { t, bob } = s;
    await setPlan(t, 'standard', { textCredits: 6, callCredits: 3, payoutPerBlockMinor: 5000 });
    const sub = await subscribe(t, bob, 'standard');
    const [row] = await s.rows('select payment_id from subscriptions where id = $1', [sub.id]);
    const before = await balances();
    const r = await adminRefund(row.payment_id, 'plan-refund');
    const after = await balances();
    expect(after.refunds - before.refunds).toBe(49_900);
    expect(after.deferred_revenue - before.deferred_revenue).toBe(-49_900);
    const [now] = await s.rows('select status from subscriptions where id = $1', [sub.id]);
    expect(now.status).toBe('REFUNDED');
    const credits = await s.rows(
      `select sum(posted_credits - posted_debits)::int as left from ledger_accounts where kind = 'patient_credits' and ref = $1`,
      [sub.id],
    );
    expect(credits[0].left).toBe(0);
    const refused = await t.http.post('/api/sessions/text', { clinicianId: s.doc.id }, { token: bob.token });
    expect(refused.status).toBe(402);
    const n = await transfers();
    await refundWebhook(row.payment_id, r, 2);
    expect(await transfers()).toBe(n);
  });

  test('GET /api/admin/reconciliation keeps the payments report and adds the ledger: a forced mismatch is listed', async () => {
    const { t, admin } = s;
    const clean = await t.http.get('/api/admin/reconciliation', { token: admin.token });
    expect(clean.status).toBe(200);
    expect(clean.body).toMatchObject({ generatedAt: expect.any(String), mismatches: expect.any(Array) });
    expect(clean.body.ledger).toEqual({ balanced: true, mismatches: [] });
    // Forced: a paid subscription whose money never reached the ledger.
    const [sub] = await s.rows(
      `update subscriptions set status = 'EXPIRED', payment_id = gen_random_uuid()
       where id = (select id from subscriptions where status = 'REFUNDED' limit 1) returning id`,
    );
    const res = await t.http.get('/api/admin/reconciliation', { token: admin.token });
    expect(res.body.ledger.mismatches).toEqual([{ code: 'PAYMENT_NOT_IN_LEDGER', subscriptionId: sub.id }]);
    expect(res.body.ledger.balanced).toBe(true);
    // The ledger's own path answers the same.
    const own = await t.http.get('/api/admin/ledger/reconciliation', { token: admin.token });
    expect(own.body).toEqual(res.body.ledger);
    expect((await t.http.get('/api/admin/reconciliation', { token: s.doc.token })).status).toBe(403);
  });
});
