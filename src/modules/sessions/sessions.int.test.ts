import { describe, expect, test } from 'vitest';
import {
  actor,
  billingOf,
  billingSceneForFile,
  checkLedgerInvariants,
  sessionsOf,
  setPlan,
  subscribe,
} from '../../../test/billing/support.js';
import { createUser } from '../../../test/factories/identity.js';

const scene = billingSceneForFile({
  plans: { standard: { textCredits: 40, callCredits: 10, payoutPerBlockMinor: 900 } },
});

const transfersOf = async (sessionId: string) =>
  (
    await scene.t.platform.pool.query(
      `select idempotency_key as key from ledger_transfers where session_id = $1 and cause like '%_block' order by created_at`,
      [sessionId],
    )
  ).rows.map((r) => r.key as string);

async function patientWithCredits(plan = 'standard') {
  const p = await createUser(scene.t, { role: 'patient' });
  await subscribe(scene.t, p, plan);
  return p;
}

async function activeChat(patient = scene.patient) {
  const sessions = sessionsOf(scene.t);
  const s = await sessions.start(actor(patient), 'text', { clinicianId: scene.doc.id });
  return sessions.activate(actor(scene.doc), s.id);
}

describe('text sessions', () => {
  test('block 1 at activation; 20 concurrent settles charge each due block once', async () => {
    const { t } = scene;
    const patient = await patientWithCredits();
    const s = await activeChat(patient);
    expect(s).toMatchObject({ status: 'ACTIVE', blocksCharged: 1 });
    t.clock.advanceMinutes(25); // blocks 2 (10 min) and 3 (20 min) are due
    const upTo = t.clock.now();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => sessionsOf(t).settle(s.id, upTo)),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await transfersOf(s.id)).toEqual([1, 2, 3].map((n) => `text:${s.id}:block:${n}`));
    const after = await sessionsOf(t).get(actor(patient), s.id);
    expect(after.blocksCharged).toBe(3);
    expect(after.nextBlockAt?.getTime()).toBe(s.activatedAt!.getTime() + 30 * 60_000);
    expect((await billingOf(t).currentSubscription(patient.id)).credits.text).toBe(37);
    await checkLedgerInvariants(t);
  });

  test('the block job down for 35 minutes then resuming charges exactly the missing blocks', async () => {
    const { t } = scene;
    const patient = await patientWithCredits();
    const s = await activeChat(patient);
    t.clock.advanceMinutes(35);
    // Two workers of the job at once, then a late duplicate: blocks 2, 3, 4 once each.
    await Promise.all([sessionsOf(t).settleDue(), sessionsOf(t).settleDue()]);
    await sessionsOf(t).settleDue();
    expect(await transfersOf(s.id)).toEqual([1, 2, 3, 4].map((n) => `text:${s.id}:block:${n}`));
    const ended = await sessionsOf(t).end(actor(patient), s.id);
    expect(ended).toMatchObject({ status: 'ENDED', blocksCharged: 4, endReason: 'PATIENT_ENDED' });
    // A block job computed after the end charges nothing.
    t.clock.advanceMinutes(30);
    await sessionsOf(t).settle(s.id, t.clock.now());
    expect(await transfersOf(s.id)).toHaveLength(4);
    await checkLedgerInvariants(t);
  });

  test('two sessions of one patient deducting at once never take credits below zero; the one that cannot pay ends', async () => {
    const { t, doc } = scene;
    await setPlan(t, 'standard_plus', { textCredits: 3, callCredits: 0, payoutPerBlockMinor: 1000 });
    const patient = await patientWithCredits('standard_plus');
    const a = await activeChat(patient);
    const other = await createUser(t, { role: 'clinician' });
    const b0 = await sessionsOf(t).start(actor(patient), 'text', { clinicianId: other.id });
    const b = await sessionsOf(t).activate(actor(other), b0.id);
    expect([a.blocksCharged, b.blocksCharged]).toEqual([1, 1]);
    t.clock.advanceMinutes(10); // one block due on each, one credit left
    await Promise.allSettled([
      sessionsOf(t).settle(a.id, t.clock.now()),
      sessionsOf(t).settle(b.id, t.clock.now()),
    ]);
    const [sa, sb] = await Promise.all([
      sessionsOf(t).get(actor(patient), a.id),
      sessionsOf(t).get(actor(patient), b.id),
    ]);
    expect([sa.blocksCharged, sb.blocksCharged].sort()).toEqual([1, 2]);
    const loser = sa.blocksCharged === 1 ? sa : sb;
    expect(loser).toMatchObject({ status: 'ENDED', endReason: 'INSUFFICIENT_CREDITS' });
    expect((await billingOf(t).currentSubscription(patient.id)).credits.text).toBe(0);
    // The patient was told when one block remained.
    const told = await t.platform.pool.query(
      `select count(*)::int as n from notifications where user_id = $1 and template_id = 'session_low_credits' and channel = 'in_app'`,
      [patient.id],
    );
    expect(told.rows[0].n).toBe(1);
    // With no credits a new session is refused.
    await expect(sessionsOf(t).start(actor(patient), 'text', { clinicianId: doc.id })).rejects.toMatchObject({
      status: 402,
      code: 'INSUFFICIENT_CREDITS',
    });
    await checkLedgerInvariants(t);
  });
});

describe('call sessions', () => {
  test('a call that never connected costs nothing: missed, rejected, hung up while ringing', async () => {
    const { t, doc } = scene;
    const patient = await patientWithCredits();
    const sessions = sessionsOf(t);
    const missed = await sessions.start(actor(patient), 'call', { clinicianId: doc.id });
    const rejected = await sessions.start(actor(patient), 'call', { clinicianId: doc.id });
    const dropped = await sessions.start(actor(patient), 'call', { clinicianId: doc.id });
    expect(await sessions.reject(actor(doc), rejected.id)).toMatchObject({ status: 'REJECTED' });
    expect(await sessions.hangup(actor(patient), dropped.id)).toMatchObject({
      status: 'ENDED',
      blocksCharged: 0,
    });
    t.clock.advanceMinutes(2);
    await expect(sessions.connect(actor(doc), missed.id)).rejects.toMatchObject({ code: 'CALL_MISSED' });
    expect((await sessions.get(actor(patient), missed.id)).status).toBe('MISSED');
    await sessions.settleDue();
    for (const s of [missed, rejected, dropped]) expect(await transfersOf(s.id)).toEqual([]);
    expect((await billingOf(t).currentSubscription(patient.id)).credits.call).toBe(10);
  });

  test('hangup racing the provider callback: one end, every started block settled once', async () => {
    const { t, doc } = scene;
    const patient = await patientWithCredits();
    const sessions = sessionsOf(t);
    const ringing = await sessions.start(actor(patient), 'call', { clinicianId: doc.id });
    const s = await sessions.connect(actor(doc), ringing.id);
    expect(s).toMatchObject({ status: 'CONNECTED', blocksCharged: 1 });
    t.clock.advanceMinutes(21); // blocks 2 and 3 have started
    const results = await Promise.allSettled([
      sessions.hangup(actor(patient), s.id),
      sessions.hangup(null, s.id),
      sessions.hangup(actor(doc), s.id),
    ]);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const ended = await sessions.get(actor(patient), s.id);
    expect(ended).toMatchObject({ status: 'ENDED', blocksCharged: 3 });
    expect(await transfersOf(s.id)).toEqual([1, 2, 3].map((n) => `call:${s.id}:block:${n}`));
    const wallet = await billingOf(t).wallet(doc.id);
    expect(wallet.transactions.filter((x) => x.sessionId === s.id)).toHaveLength(3);
    await checkLedgerInvariants(t);
  });
});
