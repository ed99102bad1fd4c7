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

export async function update(db: Db, id: string, patch: Partial<NewVideoSession>): Promise<void> {
  await db.update(videoSessions).set(patch).where(eq(videoSessions.id, id));
}
