import { afterAll, beforeAll, expect } from 'vitest';
import type { BillingService } from '../../src/modules/billing/index.js';
import type { SessionsService } from '../../src/modules/sessions/index.js';
import type { Actor } from '../../src/platform/auth.js';
import { paySandbox } from '../factories/booking.js';
import { createUser, signIn, type TestUser } from '../factories/identity.js';
import { startTestApp, type TestApp } from '../support/app.js';

const moduleService = <S>(t: TestApp, name: string): S => {
  const mod = t.modules.find((m) => m.name === name) as unknown as { service: S } | undefined;
  if (!mod) throw new Error(`module ${name} is not wired`);
  return mod.service;
};
export const billingOf = (t: TestApp) => moduleService<BillingService>(t, 'billing');
export const sessionsOf = (t: TestApp) => moduleService<SessionsService>(t, 'sessions');
export const actor = (u: TestUser): Actor => ({ userId: u.id, role: u.role, sessionId: 'test' });

/** Sets a plan's credits and payout (reference data) for a test. */
export async function setPlan(
  t: TestApp,
  code: string,
  p: {
    priceMinor?: number;
    textCredits?: number;
    callCredits?: number;
    payoutPerBlockMinor?: number;
    periodDays?: number;
  },
) {
  await t.platform.pool.query(
    `update plans set price_minor = coalesce($2, price_minor), text_credits = coalesce($3, text_credits),
       call_credits = coalesce($4, call_credits), payout_per_block_minor = coalesce($5, payout_per_block_minor),
       period_days = coalesce($6, period_days) where code = $1`,
    [
      code,
      p.priceMinor ?? null,
      p.textCredits ?? null,
      p.callCredits ?? null,
      p.payoutPerBlockMinor ?? null,
      p.periodDays ?? null,
    ],
  );
}

/** Buys a plan over HTTP and pays it in the sandbox (client callback verified by payments). */
export async function subscribe(t: TestApp, patient: TestUser, planCode = 'standard') {
  const res = await t.http.post('/api/subscriptions', { planCode }, { token: patient.token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  if (!res.body.payment) return res.body.subscription;
  const proof = await paySandbox(t, res.body.payment.orderId);
  const verified = await t.http.post(
    '/api/payment/verify',
    { payableKind: 'subscription', payableId: res.body.subscription.id, ...proof },
    { token: patient.token },
  );
  expect(verified.status, JSON.stringify(verified.body)).toBe(200);
  return res.body.subscription as { id: string };
}

/** An app with a patient, a clinician and an admin. */
export async function billingScene(env: Record<string, string> = {}) {
  const t = await startTestApp({ env });
  const doc = await createUser(t, { role: 'clinician', fullName: 'Dr Rao' });
  const patient = await createUser(t, { role: 'patient', fullName: 'Asha' });
  const admin = await createUser(t, { role: 'admin' });
  const moveMinutes = async (m: number, ...users: TestUser[]) => {
    t.clock.advanceMinutes(m);
    for (const u of [doc, patient, admin, ...users]) u.token = await signIn(t, u.id, u.role);
  };
  return { t, doc, patient, admin, moveMinutes };
}

type PlanPatch = Parameters<typeof setPlan>[2];

/**
 * The usual file set-up: a billing scene started before the file's tests (with `plans` patched) and,
 * after them, the ledger invariants checked and the app closed. The returned object is filled in
 * `beforeAll`: read its fields inside tests, not at module level.
 */
export function billingSceneForFile(
  opts: { env?: Record<string, string>; plans?: Record<string, PlanPatch> } = {},
) {
  const scene = {} as Awaited<ReturnType<typeof billingScene>>;
  beforeAll(async () => {
    Object.assign(scene, await billingScene(opts.env));
    for (const [code, patch] of Object.entries(opts.plans ?? {})) await setPlan(scene.t, code, patch);
  });
  afterAll(async () => {
    if (!scene.t) return;
    await checkLedgerInvariants(scene.t);
    await scene.t.close();
  });
  return scene;
}

/** money.md 1, 2 and 3 read straight from the tables. */
export async function checkLedgerInvariants(t: TestApp) {
  const q = async (sql: string) => (await t.platform.pool.query(sql)).rows;
  // 1. Conservation per currency, posted and pending.
  const totals = await q(
    `select currency, sum(posted_credits - posted_debits)::float8 as posted, sum(pending_credits - pending_debits)::float8 as pending
     from ledger_accounts group by currency`,
  );
  for (const r of totals) expect(r, `conservation in ${r.currency}`).toMatchObject({ posted: 0, pending: 0 });
  // 2. Each account's totals are the fold of its entries.
  const drift = await q(
    `with e as (
       select t.debit_account_id as acct, case when flag in ('posted','post_pending') then amount else 0 end as pd, 0 as pc,
              case flag when 'pending' then amount when 'posted' then 0 else -amount end as nd, 0 as nc
         from ledger_transfers t
       union all
       select t.credit_account_id, 0, case when flag in ('posted','post_pending') then amount else 0 end,
              0, case flag when 'pending' then amount when 'posted' then 0 else -amount end
         from ledger_transfers t)
     select a.id from ledger_accounts a left join (
       select acct, sum(pd) pd, sum(pc) pc, sum(nd) nd, sum(nc) nc from e group by acct) f on f.acct = a.id
     where a.posted_debits <> coalesce(f.pd, 0) or a.posted_credits <> coalesce(f.pc, 0)
        or a.pending_debits <> coalesce(f.nd, 0) or a.pending_credits <> coalesce(f.nc, 0)`,
  );
  expect(drift, 'accounts whose totals are not the fold of their entries').toEqual([]);
  // 3. Limits.
  const below = await q(
    `select id, kind from ledger_accounts where kind in ('patient_escrow', 'patient_credits', 'doctor_wallet', 'deferred_revenue')
       and posted_credits - posted_debits - pending_debits < 0`,
  );
  expect(below).toEqual([]);
  // 6. Each pending transfer resolved at most once (also a unique index); never posted after expiry.
  const late = await q(
    `select r.id from ledger_transfers r join ledger_transfers p on p.id = r.pending_id
     where r.flag = 'post_pending' and r.created_at >= p.expires_at`,
  );
  expect(late).toEqual([]);
}

/** A small Server-Sent Events reader over fetch (it can send the bearer token). */
export async function openStream(baseUrl: string, token: string) {
  const ctrl = new AbortController();
  const res = await fetch(`${baseUrl}/api/notifications/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: ctrl.signal,
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  async function next(): Promise<{ event: string; data: string }> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          lines
            .filter((l) => l.startsWith(`${name}:`))
            .map((l) => l.slice(name.length + 1).trim())
            .join('');
        if (!field('event') && !field('data')) continue;
        return { event: field('event') || 'message', data: field('data') };
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  }
  return { next, close: () => ctrl.abort() };
}
