import type { Tx } from '../../platform/db/uow.js';
import type { SessionsDeps } from './sessions.ports.js';
import { sessionsRepository as repo, type SessionRow } from './sessions.repository.js';
import { blockDueAt, blocksDue, isOver } from './sessions.rules.js';

/**
 * Block billing. `settleLocked` runs with the session row locked (`for update`), so racing callers
 * (the periodic job twice, a late job, end, hangup, a provider callback) take turns; each block's
 * charge is keyed `{kind}:{id}:block:{n}` in the ledger, so a replay charges nothing twice.
 */
export function makeSettle(deps: SessionsDeps) {
  const anchorOf = (s: SessionRow) => (s.kind === 'text' ? s.activatedAt : s.connectedAt);

  async function lowCredits(tx: Tx, s: SessionRow, subscriptionId: string) {
    const patient = await deps.getUser(s.patientId);
    await deps.notify(tx, {
      template: 'session_low_credits',
      vars: { patientName: patient?.fullName ?? 'there', remaining: '1' },
      recipient: { userId: s.patientId },
      idempotencyKey: `subscription:${subscriptionId}:low-credits:${s.kind}`,
    });
  }

  /** Charges every block due by `upTo` not charged yet; a block that cannot be paid ends the session. */
  async function settleLocked(tx: Tx, s: SessionRow, upTo: Date, now: Date): Promise<SessionRow> {
    const anchor = anchorOf(s);
    if (s.funding !== 'credits' || !anchor) return s;
    const due = blocksDue(anchor, s.blockMinutes, upTo, s.endedAt);
    let charged = s.blocksCharged;
    let endAt: Date | null = null;
    while (charged < due) {
      const n = charged + 1;
      const at = blockDueAt(anchor, s.blockMinutes, n);
      const res = await deps.billing.chargeBlock(
        tx,
        { sessionId: s.id, kind: s.kind, n, patientId: s.patientId, clinicianId: s.clinicianId, at },
        now,
      );
      if (!res.ok) {
        endAt = at;
        break;
      }
      charged = n;
      if (res.remaining === 1) await lowCredits(tx, s, res.subscriptionId);
    }
    if (endAt && !isOver(s.status))
      return repo.update(tx, s.id, {
        status: 'ENDED',
        endedAt: endAt,
        endReason: 'INSUFFICIENT_CREDITS',
        blocksCharged: charged,
        nextBlockAt: null,
        now,
      });
    const live = !isOver(s.status);
    const next = live ? blockDueAt(anchor, s.blockMinutes, charged + 1) : null;
    if (charged === s.blocksCharged && next?.getTime() === s.nextBlockAt?.getTime()) return s;
    return repo.update(tx, s.id, { blocksCharged: charged, nextBlockAt: next, now });
  }

  /** `settle(session, upTo)`: the one entry point for any caller outside a transaction. */
  async function settle(sessionId: string, upTo: Date): Promise<SessionRow | null> {
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const s = await repo.findForUpdate(tx, sessionId);
      return s ? settleLocked(tx, s, upTo, now) : null;
    });
  }

  /** One due session claimed with SKIP LOCKED and settled in the same transaction; false when none is due. */
  async function settleOneDue(now: Date): Promise<boolean> {
    return deps.uow(async (tx) => {
      const s = await repo.claimDue(tx, now);
      if (!s) return false;
      const after = await settleLocked(tx, s, now, now);
      // Never leave a due timer behind (a session that cannot move on would be claimed forever).
      if (after.nextBlockAt && after.nextBlockAt.getTime() <= now.getTime())
        await repo.update(tx, s.id, { nextBlockAt: null, now });
      return true;
    });
  }

  /**
   * The periodic job: settles every due session. `workers` loops run side by side; SKIP LOCKED keeps
   * them (and other instances) off each other's sessions.
   */
  async function settleDue(opts: { workers?: number; max?: number } = {}): Promise<number> {
    const now = deps.clock.now();
    let settled = 0;
    const max = opts.max ?? 100_000;
    const loop = async () => {
      while (settled < max && (await settleOneDue(now))) settled++;
    };
    await Promise.all(Array.from({ length: opts.workers ?? 4 }, loop));
    return settled;
  }

  return { settleLocked, settle, settleDue };
}
