import { and, asc, eq, gt, gte, lt, or } from 'drizzle-orm';
import type { Db } from '../../platform/db/uow.js';
import { visitPayments, visits } from './consultations.table.js';

export type Visit = typeof visits.$inferSelect;
export type VisitPayment = typeof visitPayments.$inferSelect;

const first = <T>(rows: T[]): T | null => rows[0] ?? null;

/** GOPD visits and the money taken for them; one query per method. */
export function visitsRepository(db: Db) {
  return {
    async findOpenForPatient(patientId: string) {
      return first(
        await db
          .select()
          .from(visits)
          .where(and(eq(visits.patientId, patientId), eq(visits.status, 'OPEN')))
          .for('update'),
      );
    },
    /** Null when the patient already has an OPEN visit (unique partial index): the caller reads it. */
    async insertOpen(row: typeof visits.$inferInsert): Promise<Visit | null> {
      return first(await db.insert(visits).values(row).onConflictDoNothing().returning());
    },
    async find(id: string) {
      return first(await db.select().from(visits).where(eq(visits.id, id)));
    },
    async findForUpdate(id: string) {
      return first(await db.select().from(visits).where(eq(visits.id, id)).for('update'));
    },
    async update(id: string, set: Partial<typeof visits.$inferInsert>): Promise<Visit> {
      return (await db.update(visits).set(set).where(eq(visits.id, id)).returning())[0]!;
    },
    async insertPayment(row: typeof visitPayments.$inferInsert): Promise<VisitPayment> {
      return (await db.insert(visitPayments).values(row).returning())[0]!;
    },
    async findPayment(visitId: string) {
      return first(await db.select().from(visitPayments).where(eq(visitPayments.visitId, visitId)));
    },
    /** One day of visits, oldest first; the cursor is the last row's `openedAt|id`. */
    async listOpenedBetween(from: Date, to: Date, limit: number, after?: { openedAt: Date; id: string }) {
      return db
        .select()
        .from(visits)
        .where(
          and(
            gte(visits.openedAt, from),
            lt(visits.openedAt, to),
            after
              ? or(
                  gt(visits.openedAt, after.openedAt),
                  and(eq(visits.openedAt, after.openedAt), gt(visits.id, after.id)),
                )
              : undefined,
          ),
        )
        .orderBy(asc(visits.openedAt), asc(visits.id))
        .limit(limit + 1);
    },
  };
}
