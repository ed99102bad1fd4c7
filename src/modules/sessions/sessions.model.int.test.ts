import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installCrashes, withCrash } from '../../../test/billing/model.js';
import {
  actor,
  billingOf,
  billingScene,
  checkLedgerInvariants,
  sessionsOf,
  setPlan,
  subscribe,
} from '../../../test/billing/support.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { splitFee } from '../billing/billing.rules.js';
import { blocksDue } from './sessions.rules.js';

/**
 * Model-based test (money.md 1-7, 14, 15): seeded random sequences of session starts, activations,
 * connections, ends, hangups racing the provider callback, block jobs duplicated and late, clock
 * moves, payouts, prepaid payments, posts, cancellations, and crashes in the middle of a settle,
 * run against PostgreSQL and a small model; invariants after every step. Reproduce a failure with
 * BILLING_MODEL_SEED (and BILLING_MODEL_RUNS).
 */
// A fixed default keeps CI deterministic (143630 once found a reject after the ring timed out); set the
// variable to explore other sequences.
const SEED = Number(process.env.BILLING_MODEL_SEED ?? 143630);
const RUNS = Number(process.env.BILLING_MODEL_RUNS ?? 12);
const B = 10;
const PAYOUT = 1000;
const CREDITS = { text: 4, call: 3 };
const FEE = 20;

type Cmd =
  | { kind: 'start'; p: number; d: number; type: 'text' | 'call' }
  | { kind: 'begin'; i: number }
  | { kind: 'advance'; minutes: number }
  | { kind: 'job'; copies: number }
  | { kind: 'settle'; i: number; copies: number }
  | { kind: 'end'; i: number; race: boolean }
  | { kind: 'reject'; i: number }
  | { kind: 'crash'; i: number }
  | { kind: 'payout'; d: number; over: boolean; share: number }
  | { kind: 'prepaid'; p: number; d: number; amount: number }
  | { kind: 'post'; j: number }
  | { kind: 'cancel'; j: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      p: fc.nat(1),
      d: fc.nat(1),
      type: fc.constantFrom('text' as const, 'call' as const),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('begin' as const), i: fc.nat(5) }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 25 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('job' as const), copies: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      i: fc.nat(5),
      copies: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('end' as const), i: fc.nat(5), race: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reject' as const), i: fc.nat(5) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('crash' as const), i: fc.nat(5) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('payout' as const),
      d: fc.nat(1),
      over: fc.boolean(),
      share: fc.integer({ min: 1, max: 100 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('prepaid' as const),
      p: fc.nat(1),
      d: fc.nat(1),
      amount: fc.integer({ min: 1, max: 90_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('post' as const), j: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), j: fc.nat(3) }) },
);

type MSession = {
  id: string;
  type: 'text' | 'call';
  p: number;
  d: number;
  status: string;
  anchor: Date | null;
  ringUntil: Date | null;
  charged: number;
  endReason: string | null;
};
type MPrepaid = { id: string; p: number; d: number; share: number; state: 'pending' | 'posted' | 'voided' };

let scene: Awaited<ReturnType<typeof billingScene>>;
/** What the runs exercised, so a vacuous run cannot pass unnoticed. */
const seen = { blocks: 0, insufficient: 0, missed: 0, payouts: 0, crashes: 0, reversed: 0, racy: 0 };
beforeAll(async () => {
  scene = await billingScene({ CALL_RING_TIMEOUT_SECONDS: '300', PLATFORM_FEE_PERCENT: String(FEE) });
  await setPlan(scene.t, 'standard', {
    textCredits: CREDITS.text,
    callCredits: CREDITS.call,
    payoutPerBlockMinor: PAYOUT,
  });
  await installCrashes(scene.t.platform.pool);
});
afterAll(async () => {
  await checkLedgerInvariants(scene.t);
  expect((await billingOf(scene.t).trialBalance()).balanced).toBe(true);
  await scene.t.close();
});

async function run(cmds: Cmd[]) {
  const { t } = scene;
  const pool = t.platform.pool;
  const billing = billingOf(t);
  const sessions = sessionsOf(t);
  const patients: TestUser[] = [];
  const doctors: TestUser[] = [];
  for (let i = 0; i < 2; i++) {
    const p = await createUser(t, { role: 'patient' });
    await subscribe(t, p, 'standard');
    patients.push(p);
    doctors.push(await createUser(t, { role: 'clinician' }));
  }
  const credits = patients.map(() => ({ ...CREDITS }));
  const posted = [0, 0];
  const pending = [0, 0];
  const ss: MSession[] = [];
  const pp: MPrepaid[] = [];
  const now = () => t.clock.now();

  /** Charges the model's session up to `upTo` (and `endedAt`), as settle must. */
  function charge(s: MSession, upTo: Date, endedAt: Date | null) {
    const due = blocksDue(s.anchor, B, upTo, endedAt);
    while (s.charged < due) {
      if (credits[s.p]![s.type] < 1) {
        s.status = 'ENDED';
        s.endReason = 'INSUFFICIENT_CREDITS';
        return;
      }
      credits[s.p]![s.type]--;
      posted[s.d]! += PAYOUT;
      seen.blocks++;
      s.charged++;
    }
  }
  const live = (s: MSession) => s.status === 'ACTIVE' || s.status === 'CONNECTED';
  /** Several sessions of one patient competing for the last credits: which wins is the database's race. */
  const contested = (group: MSession[], upTo: Date) =>
    [0, 1].some((p) =>
      (['text', 'call'] as const).some(
        (type) =>
          group
            .filter((s) => s.p === p && s.type === type)
            .reduce((n, s) => n + Math.max(0, blocksDue(s.anchor, B, upTo, null) - s.charged), 0) >
            credits[p]![type] && group.filter((s) => s.p === p && s.type === type).length > 1,
      ),
    );

  async function adoptFromDatabase(group: MSession[]) {
    for (const s of group) {
      const db = await sessions.get(actor(patients[s.p]!), s.id);
      const delta = db.blocksCharged - s.charged;
      expect(delta).toBeGreaterThanOrEqual(0);
      credits[s.p]![s.type] -= delta;
      posted[s.d]! += delta * PAYOUT;
      s.charged = db.blocksCharged;
      s.status = db.status;
      s.endReason = db.endReason;
      if (s.status === 'ENDED' && s.endReason === 'INSUFFICIENT_CREDITS')
        expect(credits[s.p]![s.type]).toBe(0);
    }
  }

  async function check() {
    for (const s of ss) {
      const db = await sessions.get(actor(patients[s.p]!), s.id);
      expect({ id: s.id, status: db.status, charged: db.blocksCharged }).toEqual({
        id: s.id,
        status: s.status,
        charged: s.charged,
      });
      // 14: blocks charged are exactly 1..k, never on a call without connected_at.
      const keys = (
        await pool.query(
          `select idempotency_key as k from ledger_transfers where session_id = $1 and cause like '%_block'`,
          [s.id],
        )
      ).rows.map((r) => r.k as string);
      expect(keys.sort()).toEqual(
        Array.from({ length: s.charged }, (_, n) => `${s.type}:${s.id}:block:${n + 1}`).sort(),
      );
      if (s.type === 'call' && !db.connectedAt) expect(s.charged).toBe(0);
      if (db.status === 'ENDED' && db.endReason !== 'INSUFFICIENT_CREDITS')
        expect(db.blocksCharged).toBe(blocksDue(db.activatedAt ?? db.connectedAt, B, db.endedAt!, null));
    }
    for (let p = 0; p < 2; p++) {
      const sub = await billing.currentSubscription(patients[p]!.id);
      expect(sub.credits).toEqual(credits[p]);
    }
    for (let d = 0; d < 2; d++) {
      const w = await billing.wallet(doctors[d]!.id);
      expect({ posted: w.posted.amount, pending: w.pending.amount }).toEqual({
        posted: posted[d],
        pending: pending[d],
      });
      // 15: paid out never more than posted earnings.
      const r = await pool.query(
        `select coalesce(sum(t.amount) filter (where t.cause = 'payout'), 0)::float8 as out,
                coalesce(sum(t.amount) filter (where t.cause <> 'payout' and t.cause <> 'recovery' and a.id = t.credit_account_id), 0)::float8 as earned
         from ledger_accounts a join ledger_transfers t on a.id in (t.debit_account_id, t.credit_account_id)
         where a.kind = 'doctor_wallet' and a.owner_id = $1 and t.flag in ('posted', 'post_pending')`,
        [doctors[d]!.id],
      );
      expect(r.rows[0].out).toBeLessThanOrEqual(r.rows[0].earned);
    }
    await checkLedgerInvariants(t);
  }

  for (const c of cmds) {
    const s = 'i' in c ? ss[c.i % Math.max(1, ss.length)] : undefined;
    switch (c.kind) {
      case 'start': {
        const res = sessions.start(actor(patients[c.p]!), c.type, { clinicianId: doctors[c.d]!.id });
        if (credits[c.p]![c.type] < 1) {
          await expect(res).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
          break;
        }
        const created = await res;
        ss.push({
          id: created.id,
          type: c.type,
          p: c.p,
          d: c.d,
          status: c.type === 'text' ? 'WAITING' : 'RINGING',
          anchor: null,
          ringUntil: created.ringExpiresAt,
          charged: 0,
          endReason: null,
        });
        break;
      }
      case 'begin': {
        if (!s) break;
        const doc = actor(doctors[s.d]!);
        const call = s.type === 'text' ? sessions.activate(doc, s.id) : sessions.connect(doc, s.id);
        if (s.status === 'RINGING' && now() >= s.ringUntil!) {
          await expect(call).rejects.toMatchObject({ code: 'CALL_MISSED' });
          s.status = 'MISSED';
        } else if (s.status === 'WAITING' || s.status === 'RINGING') {
          await call;
          s.status = s.type === 'text' ? 'ACTIVE' : 'CONNECTED';
          s.anchor = now();
          charge(s, now(), null);
        } else await expect(call).rejects.toMatchObject({ status: expect.any(Number) });
        break;
      }
      case 'advance':
        t.clock.advanceMinutes(c.minutes);
        break;
      case 'job': {
        const group = ss.filter(live);
        const racy = contested(group, now());
        await Promise.all(Array.from({ length: c.copies }, () => sessions.settleDue()));
        if (racy) seen.racy++;
        if (racy) await adoptFromDatabase(group);
        else for (const x of group) charge(x, now(), null);
        break;
      }
      case 'settle': {
        if (!s) break;
        await Promise.all(Array.from({ length: c.copies }, () => sessions.settle(s.id, now())));
        if (live(s)) charge(s, now(), null);
        break;
      }
      case 'crash': {
        if (!s) break;
        await withCrash(t.platform.pool, s.id, async () => {
          const before = await sessions.get(actor(patients[s.p]!), s.id);
          const res = sessions.settle(s.id, now());
          const dueNow = live(s) && blocksDue(s.anchor, B, now(), null) > s.charged;
          if (dueNow) seen.crashes++;
          if (dueNow) await expect(res).rejects.toThrow(/model crash/);
          else await res;
          expect((await sessions.get(actor(patients[s.p]!), s.id)).blocksCharged).toBe(before.blocksCharged);
        });
        break;
      }
      case 'end': {
        if (!s) break;
        const p = actor(patients[s.p]!);
        const ops =
          s.type === 'text'
            ? [sessions.end(p, s.id), ...(c.race ? [sessions.end(actor(doctors[s.d]!), s.id)] : [])]
            : [sessions.hangup(p, s.id), ...(c.race ? [sessions.hangup(null, s.id)] : [])];
        await Promise.all(ops);
        if (s.status === 'RINGING' && now() >= s.ringUntil!) s.status = 'MISSED';
        else if (s.status === 'WAITING' || s.status === 'RINGING') s.status = 'ENDED';
        else if (live(s)) {
          charge(s, now(), now());
          s.status = 'ENDED';
        }
        break;
      }
      case 'reject': {
        if (s?.type !== 'call') break;
        const res = sessions.reject(actor(doctors[s.d]!), s.id);
        if ((s.status === 'RINGING' && now() >= s.ringUntil!) || s.status === 'MISSED') {
          await res;
          s.status = 'MISSED';
        } else if (s.status === 'RINGING' || s.status === 'REJECTED') {
          await res;
          s.status = 'REJECTED';
        } else await expect(res).rejects.toMatchObject({ code: 'INVALID_SESSION_STATE' });
        break;
      }
      case 'payout': {
        const amount = c.over ? posted[c.d]! + c.share : Math.floor((posted[c.d]! * c.share) / 100);
        if (amount <= 0) break;
        const res = billing.recordPayout(scene.admin.id, {
          clinicianId: doctors[c.d]!.id,
          amount: { amount, currency: 'INR' },
          reference: randomUUID(),
        });
        if (c.over) await expect(res).rejects.toMatchObject({ code: 'PAYOUT_EXCEEDS_BALANCE' });
        else {
          await res;
          seen.payouts++;
          posted[c.d]! -= amount;
        }
        break;
      }
      case 'prepaid': {
        const id = randomUUID();
        const share = splitFee(c.amount, FEE).doctor;
        await t.platform.uow((tx) =>
          billing.prepaidPaid(tx, {
            payableKind: 'appointment',
            payableId: id,
            patientId: patients[c.p]!.id,
            paymentId: randomUUID(),
            clinicianId: doctors[c.d]!.id,
            amountMinor: c.amount,
            currency: 'INR',
          }),
        );
        pp.push({ id, p: c.p, d: c.d, share, state: 'pending' });
        pending[c.d]! += share;
        break;
      }
      case 'post': {
        const x = pp[c.j % Math.max(1, pp.length)];
        if (!x) break;
        await Promise.all(
          [1, 2].map(() =>
            t.platform.uow((tx) => billing.postPrepaid(tx, { payableKind: 'appointment', payableId: x.id })),
          ),
        );
        if (x.state === 'pending') {
          x.state = 'posted';
          pending[x.d]! -= x.share;
          posted[x.d]! += x.share;
        }
        break;
      }
      case 'cancel': {
        const x = pp[c.j % Math.max(1, pp.length)];
        if (!x) break;
        await t.platform.uow((tx) =>
          billing.cancelPrepaid(tx, {
            payableKind: 'appointment',
            payableId: x.id,
            patientId: patients[x.p]!.id,
          }),
        );
        if (x.state === 'pending') pending[x.d]! -= x.share;
        if (x.state === 'posted') seen.reversed++;
        if (x.state === 'posted') posted[x.d]! -= x.share; // a refund after the earning: the wallet may go negative
        x.state = 'voided';
        break;
      }
    }
    await check();
  }
  seen.insufficient += ss.filter((x) => x.endReason === 'INSUFFICIENT_CREDITS').length;
  seen.missed += ss.filter((x) => x.status === 'MISSED').length;
}

describe('billing model', () => {
  test(`random session, job, payout, prepaid and crash sequences keep money.md 1-7, 14, 15 (seed ${SEED})`, async () => {
    console.log(`billing model test: seed ${SEED} (reproduce with BILLING_MODEL_SEED=${SEED})`);
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 40 }), run), {
      numRuns: RUNS,
      seed: SEED,
      endOnFailure: true,
    });
    console.log('billing model exercised', seen);
    expect(seen.blocks).toBeGreaterThan(0);
  }, 600_000);
});
