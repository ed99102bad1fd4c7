import { and, asc, desc, eq, getTableColumns, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Pool } from '../../platform/db/pool.js';
import type { Db } from '../../platform/db/uow.js';
import { exactInstant } from '../../platform/paging.js';
import { clinicalSessions, consultations, triageSessions } from './consultations.table.js';

export type TriageSession = typeof triageSessions.$inferSelect;
export type ClinicalSession = typeof clinicalSessions.$inferSelect;
export type Consultation = typeof consultations.$inferSelect;
export type NewConsultation = typeof consultations.$inferInsert;

const first = <T>(rows: T[]): T | null => rows[0] ?? null;

/** A keyset page: `after` is the previous page's last (`cursorAt`, id). */
export type Keyset = { limit: number; after?: [string, string] };
const withCursor = { ...getTableColumns(consultations), cursorAt: exactInstant(consultations.createdAt) };
const keyOf = sql`(${consultations.createdAt}, ${consultations.id})`;

/** Reads outside a transaction, on the pool. */
export const readRepository = (pool: Pool) => {
  const repo = consultationsRepository(drizzle(pool, { casing: 'snake_case' }));
  return () => repo;
};

/** Triage sessions, clinical sessions and consultations; one query per method. */
export function consultationsRepository(db: Db) {
  return {
    async insertTriage(row: typeof triageSessions.$inferInsert): Promise<TriageSession> {
      return (await db.insert(triageSessions).values(row).returning())[0]!;
    },
    async findTriage(id: string) {
      return first(await db.select().from(triageSessions).where(eq(triageSessions.id, id)));
    },
    async findTriageForUpdate(id: string) {
      return first(await db.select().from(triageSessions).where(eq(triageSessions.id, id)).for('update'));
    },
    async updateTriage(id: string, set: Partial<typeof triageSessions.$inferInsert>) {
      return first(await db.update(triageSessions).set(set).where(eq(triageSessions.id, id)).returning());
    },

    /** Idempotent per triage session (unique index): the first clinical session wins. */
    async insertClinical(row: typeof clinicalSessions.$inferInsert): Promise<void> {
      await db.insert(clinicalSessions).values(row).onConflictDoNothing();
    },
    async findClinicalByTriage(triageSessionId: string) {
      return first(
        await db.select().from(clinicalSessions).where(eq(clinicalSessions.triageSessionId, triageSessionId)),
      );
    },
    async findClinical(id: string) {
      return first(await db.select().from(clinicalSessions).where(eq(clinicalSessions.id, id)));
    },
    async findClinicalForUpdate(id: string) {
      return first(await db.select().from(clinicalSessions).where(eq(clinicalSessions.id, id)).for('update'));
    },
    async updateClinical(id: string, set: Partial<typeof clinicalSessions.$inferInsert>) {
      await db.update(clinicalSessions).set(set).where(eq(clinicalSessions.id, id));
    },
    async listDueClinical(now: Date, limit: number): Promise<string[]> {
      const rows = await db
        .select({ id: clinicalSessions.id })
        .from(clinicalSessions)
        .where(and(eq(clinicalSessions.status, 'awaiting_symptoms'), lte(clinicalSessions.expiresAt, now)))
        .orderBy(asc(clinicalSessions.expiresAt))
        .limit(limit);
      return rows.map((r) => r.id);
    },

    async insertConsultation(row: NewConsultation): Promise<Consultation> {
      return (await db.insert(consultations).values(row).returning())[0]!;
    },
    async findConsultation(id: string) {
      return first(await db.select().from(consultations).where(eq(consultations.id, id)));
    },
    async findConsultationForUpdate(id: string) {
      return first(await db.select().from(consultations).where(eq(consultations.id, id)).for('update'));
    },
    async findConsultationForVisit(visitId: string) {
      return first(
        await db
          .select()
          .from(consultations)
          .where(and(eq(consultations.visitId, visitId), sql`${consultations.status} <> 'CANCELLED'`)),
      );
    },
    async updateConsultation(id: string, set: Partial<NewConsultation>): Promise<Consultation> {
      return (await db.update(consultations).set(set).where(eq(consultations.id, id)).returning())[0]!;
    },
    /** Newest first, a keyset page: one patient's, one doctor's, or (neither given) all. */
    async listNewestFirst(owner: { patientId?: string; doctorId?: string }, page: Keyset) {
      return db
        .select(withCursor)
        .from(consultations)
        .where(
          and(
            owner.patientId ? eq(consultations.patientId, owner.patientId) : undefined,
            owner.doctorId ? eq(consultations.doctorId, owner.doctorId) : undefined,
            page.after ? sql`${keyOf} < (${page.after[0]}::timestamptz, ${page.after[1]}::uuid)` : undefined,
          ),
        )
        .orderBy(desc(consultations.createdAt), desc(consultations.id))
        .limit(page.limit);
    },
    /** A doctor's queue: PENDING ones assigned to them, and every open unassigned one, oldest first. */
    async listQueue(doctorId: string, page: Keyset) {
      return db
        .select(withCursor)
        .from(consultations)
        .where(
          and(
            or(
              and(eq(consultations.doctorId, doctorId), eq(consultations.status, 'PENDING')),
              and(isNull(consultations.doctorId), inArray(consultations.status, ['PENDING', 'ACTIVE'])),
            ),
            page.after ? sql`${keyOf} > (${page.after[0]}::timestamptz, ${page.after[1]}::uuid)` : undefined,
          ),
        )
        .orderBy(asc(consultations.createdAt), asc(consultations.id))
        .limit(page.limit);
    },
    /** Open (PENDING or ACTIVE) consultations per doctor, for least-loaded assignment. */
    async openLoad(doctorIds: readonly string[]): Promise<Map<string, number>> {
      if (!doctorIds.length) return new Map();
      const rows = await db
        .select({ doctorId: consultations.doctorId, n: sql<number>`count(*)::int` })
        .from(consultations)
        .where(
          and(
            inArray(consultations.doctorId, [...doctorIds]),
            inArray(consultations.status, ['PENDING', 'ACTIVE']),
          ),
        )
        .groupBy(consultations.doctorId);
      return new Map(rows.map((r) => [r.doctorId!, r.n]));
    },
    /** Serialises doctor assignment so two consultations created at once see each other's load. */
    async lockAssignment(): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(72014)`);
    },
  };
}
