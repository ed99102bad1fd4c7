import { eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/uow.js';
import { type VideoSessionRow, videoSessions } from './video.table.js';

export type NewVideoSession = typeof videoSessions.$inferInsert;

/** One session per appointment: a second request for the same appointment inserts nothing. */
export async function insertIfAbsent(db: Db, row: NewVideoSession): Promise<string | null> {
  const rows = await db
    .insert(videoSessions)
    .values(row)
    .onConflictDoNothing({ target: videoSessions.appointmentId })
    .returning({ id: videoSessions.id });
  return rows[0]?.id ?? null;
}

export async function findByAppointment(db: Db, appointmentId: string): Promise<VideoSessionRow | null> {
  const rows = await db.select().from(videoSessions).where(eq(videoSessions.appointmentId, appointmentId));
  return rows[0] ?? null;
}

export async function findByAppointmentForUpdate(
  db: Db,
  appointmentId: string,
): Promise<VideoSessionRow | null> {
  const rows = await db
    .select()
    .from(videoSessions)
    .where(eq(videoSessions.appointmentId, appointmentId))
    .for('update');
  return rows[0] ?? null;
}

export async function findForUpdate(db: Db, id: string): Promise<VideoSessionRow | null> {
  const rows = await db.select().from(videoSessions).where(eq(videoSessions.id, id)).for('update');
  return rows[0] ?? null;
}

// Named writes, one per state change (no generic update(patch)); `set` keeps each one a single statement.
const set = async (db: Db, id: string, values: Partial<NewVideoSession>) => {
  await db.update(videoSessions).set(values).where(eq(videoSessions.id, id));
};

type Times = { scheduledStartAt: Date; scheduledEndAt: Date };
type Links = { meetingId: string; joinUrl: string; hostUrl: string };

/** A create attempt is about to call the provider. */
export const countAttempt = (db: Db, id: string, attempts: number, now: Date) =>
  set(db, id, { attempts, updatedAt: now });

/** The meeting has its links (Google's, or a Jitsi room, which also drops a pending calendar sync). */
export const markScheduled = (
  db: Db,
  id: string,
  m: Links & { provider?: 'JITSI'; error: string | null; dropCalendarSync?: boolean },
  now: Date,
) =>
  set(db, id, {
    meetingId: m.meetingId,
    joinUrl: m.joinUrl,
    hostUrl: m.hostUrl,
    status: 'SCHEDULED',
    error: m.error,
    ...(m.provider ? { provider: m.provider } : {}),
    ...(m.dropCalendarSync ? { calendarSync: null } : {}),
    updatedAt: now,
  });

/** The last provider error of a retried attempt. */
export const recordError = (db: Db, id: string, error: string, now: Date) =>
  set(db, id, { error, updatedAt: now });

/** New times for a meeting that has no event to move. */
export const moveTimes = (db: Db, id: string, times: Times, now: Date) =>
  set(db, id, { ...times, updatedAt: now });

export const markCancelled = (db: Db, id: string, now: Date) =>
  set(db, id, { status: 'CANCELLED', updatedAt: now });

/** The calendar event is behind the row (a new revision): new times or a cancellation to follow. */
export const markCalendarBehind = (
  db: Db,
  id: string,
  c: { revision: number; times?: Times; cancelled?: boolean },
  now: Date,
) =>
  set(db, id, {
    ...c.times,
    ...(c.cancelled ? { status: 'CANCELLED' as const } : {}),
    calendarRevision: c.revision,
    calendarSync: 'PENDING',
    calendarAttempts: 0,
    updatedAt: now,
  });

export const countCalendarAttempt = (db: Db, id: string, calendarAttempts: number, now: Date) =>
  set(db, id, { calendarAttempts, updatedAt: now });

/** The event matches the row (`clearError`: after a call that succeeded). */
export const markCalendarSynced = (db: Db, id: string, now: Date, clearError: boolean) =>
  set(db, id, { calendarSync: 'DONE', ...(clearError ? { error: null } : {}), updatedAt: now });

export const markCalendarFailed = (db: Db, id: string, error: string, now: Date) =>
  set(db, id, { calendarSync: 'FAILED', error, updatedAt: now });
