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
    const patient = await deps.getUserIn(tx, s.patientId);
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

  type Block = Parameters<SessionsDeps['billing']['chargeBlocks']>[1][number];
  type Charged = Parameters<NonNullable<Parameters<SessionsDeps['billing']['chargeBlocks']>[3]>>[0];

  /** Every block due by `now` and not charged yet, of the claimed sessions that bill by credits. */
  function dueBlocks(claimed: SessionRow[], now: Date) {
    const blocks: Block[] = [];
    const plain = new Set<SessionRow>();
    for (const s of claimed) {
      const anchor = anchorOf(s);
      if (s.funding !== 'credits' || !anchor || isOver(s.status)) {
        plain.add(s);
        continue;
      }
      for (let n = s.blocksCharged + 1; n <= blocksDue(anchor, s.blockMinutes, now, s.endedAt); n++)
        blocks.push({
          sessionId: s.id,
          kind: s.kind,
          n,
          patientId: s.patientId,
          clinicianId: s.clinicianId,
          at: blockDueAt(anchor, s.blockMinutes, n),
        });
    }
    return { blocks, plain };
  }

  /** The sessions' side of a batch: blocks charged, next timers, low-credit notices. Returns the sessions not fully paid. */
  async function recordBatch(
    tx: Tx,
    batch: { claimed: SessionRow[]; blocks: Block[]; plain: Set<SessionRow> },
    results: Charged,
    now: Date,
  ): Promise<Set<string>> {
    const { claimed, blocks, plain } = batch;
    const failed = new Set(blocks.filter((_, i) => !results[i]!.ok).map((b) => b.sessionId));
    const byId = new Map(claimed.map((s) => [s.id, s]));
    const charged = new Map<string, number>();
    const lowNotices: Array<{ s: SessionRow; sub: string }> = [];
    for (const [i, b] of blocks.entries()) {
      const r = results[i]!;
      if (!r.ok) continue;
      charged.set(b.sessionId, Math.max(charged.get(b.sessionId) ?? 0, b.n));
      if (r.remaining === 1) lowNotices.push({ s: byId.get(b.sessionId)!, sub: r.subscriptionId });
    }
    const updates = claimed
      .filter((s) => !failed.has(s.id) && !plain.has(s))
      .map((s) => {
        const blocksCharged = charged.get(s.id) ?? s.blocksCharged;
        const next = blockDueAt(anchorOf(s)!, s.blockMinutes, blocksCharged + 1);
        // Never leave a due timer behind: a session that cannot move on would be claimed forever.
        return { id: s.id, blocksCharged, nextBlockAt: next.getTime() > now.getTime() ? next : null };
      });
    await repo.updateBlocks(tx, updates, now);
    for (const s of plain) await repo.update(tx, s.id, { nextBlockAt: null, now });
    for (const { s, sub } of lowNotices) await lowCredits(tx, s, sub);
    return failed;
  }

  /**
   * A batch of due sessions claimed with SKIP LOCKED and settled in one transaction: every missing
   * block of every session charged by one billing call (one ledger statement), the sessions' rows
   * written just before that statement (it locks the doctors' wallets every batch shares, until
   * commit). Sessions whose blocks cannot all be paid are then settled one by one (ending them).
   */
  async function settleDueBatch(now: Date, limit: number): Promise<number> {
    return deps.uow(async (tx) => {
      const claimed = await repo.claimDueBatch(tx, now, limit);
      const { blocks, plain } = dueBlocks(claimed, now);
      let failed = new Set<string>();
      await deps.billing.chargeBlocks(tx, blocks, now, async (results) => {
        failed = await recordBatch(tx, { claimed, blocks, plain }, results, now);
      });
      // Partly payable sessions: the exact path charges what it can (same keys) and ends them.
      for (const s of claimed.filter((x) => failed.has(x.id))) await settleLocked(tx, s, now, now);
      return claimed.length;
    });
  }

  /**
   * The periodic job: settles every due session, in batches. `workers` loops run side by side; SKIP
   * LOCKED keeps them (and other instances) off each other's sessions.
   */
  async function settleDue(opts: { workers?: number; max?: number; batch?: number } = {}): Promise<number> {
    const now = deps.clock.now();
    let settled = 0;
    const max = opts.max ?? 100_000;
    const loop = async () => {
      while (settled < max) {
        const n = await settleDueBatch(now, opts.batch ?? 1000);
        if (n === 0) break;
        settled += n;
      }
    };
    await Promise.all(Array.from({ length: opts.workers ?? 4 }, loop));
    return settled;
  }

  return { settleLocked, settle, settleDue };
}
