/** Pure session rules: the state machine and block billing (seed 003). */
import type { SessionStatus } from './sessions.table.js';

export type Kind = 'text' | 'call';
export type SessionEvent = 'activate' | 'connect' | 'end' | 'miss' | 'reject';

const NEXT: Record<Kind, Partial<Record<SessionStatus, Partial<Record<SessionEvent, SessionStatus>>>>> = {
  text: { WAITING: { activate: 'ACTIVE', end: 'ENDED' }, ACTIVE: { end: 'ENDED' } },
  call: {
    RINGING: { connect: 'CONNECTED', end: 'ENDED', miss: 'MISSED', reject: 'REJECTED' },
    CONNECTED: { end: 'ENDED' },
  },
};

/** The one transition function (the database trigger `sessions_status_transition` mirrors it). */
export function nextStatus(kind: Kind, from: SessionStatus, event: SessionEvent): SessionStatus | null {
  return NEXT[kind][from]?.[event] ?? null;
}

export const isOver = (s: SessionStatus) => s === 'ENDED' || s === 'MISSED' || s === 'REJECTED';

/** When block n (1-based) falls due: block 1 at the anchor (activation / connection). */
export const blockDueAt = (anchor: Date, blockMinutes: number, n: number) =>
  new Date(anchor.getTime() + (n - 1) * blockMinutes * 60_000);

/**
 * How many blocks are due by `upTo`: block n is due once `anchor + (n-1) x block <= upTo`, and only
 * if it started by the time the session ended (a hangup settles every started block; a block
 * starting at the very instant of the end counts, so the job and the end agree at a boundary).
 * Block 1 is due at the anchor itself. No anchor, no blocks.
 */
export function blocksDue(
  anchor: Date | null,
  blockMinutes: number,
  upTo: Date,
  endedAt: Date | null,
): number {
  if (!anchor) return 0;
  const until = endedAt && endedAt.getTime() < upTo.getTime() ? endedAt : upTo;
  const elapsed = until.getTime() - anchor.getTime();
  if (elapsed < 0) return 0;
  return Math.floor(elapsed / (blockMinutes * 60_000)) + 1;
}
