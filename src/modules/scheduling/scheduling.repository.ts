import { and, asc, eq, gt, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/uow.js';
import { availabilityRules, onCallShifts, timeOff } from './scheduling.table.js';

export type RuleRow = typeof availabilityRules.$inferSelect;
export type TimeOffRow = typeof timeOff.$inferSelect;
export type ShiftRow = typeof onCallShifts.$inferSelect;

const ruleColumns = {
  clinicianId: availabilityRules.clinicianId,
  weekday: availabilityRules.weekday,
  startTime: availabilityRules.startTime,
  endTime: availabilityRules.endTime,
  mode: availabilityRules.mode,
  centreId: availabilityRules.centreId,
  slotMinutes: availabilityRules.slotMinutes,
};

/** What `scheduleColumns` selects, as the database returns it. */
export type ScheduleColumns = {
  rules: Array<{
    weekday: number;
    startTime: string;
    endTime: string;
    mode: 'online' | 'in_person';
    centreId: string | null;
    slotMinutes: number;
  }>;
  timeOff: Array<{ startAt: string; endAt: string }>;
};

/**
 * A clinician's rules and the time off overlapping [from, to) as two select-list columns (`rules`,
 * `"timeOff"`): `loadSchedule`'s own statement, or another module's read that carries them along
 * (a booking's one pre-read, issue 12).
 */
export function scheduleColumns(clinicianId: string, from: Date, to: Date): SQL {
  return sql`
        (select coalesce(json_agg(json_build_object('weekday', r.weekday, 'startTime', r.start_time,
                  'endTime', r.end_time, 'mode', r.mode, 'centreId', r.centre_id, 'slotMinutes', r.slot_minutes)), '[]')
           from availability_rules r where r.clinician_id = ${clinicianId}) as rules,
        (select coalesce(json_agg(json_build_object('startAt', o.start_at, 'endAt', o.end_at) order by o.start_at), '[]')
           from time_off o
          where o.clinician_id = ${clinicianId} and o.start_at < ${to.toISOString()} and o.end_at > ${from.toISOString()}) as "timeOff"`;
}

export const toSchedule = (row: ScheduleColumns) => ({
  rules: row.rules,
  timeOff: row.timeOff.map((o) => ({ startAt: new Date(o.startAt), endAt: new Date(o.endAt) })),
});
export type Schedule = ReturnType<typeof toSchedule>;

/** One query per method; each takes the handle it runs on (the pool's or a transaction's). */
export const schedulingRepository = {
  async listRules(db: Db, clinicianIds: string[]) {
    if (clinicianIds.length === 0) return [];
    return db
      .select(ruleColumns)
      .from(availabilityRules)
      .where(inArray(availabilityRules.clinicianId, clinicianIds))
      .orderBy(asc(availabilityRules.weekday), asc(availabilityRules.startTime));
  },

  /** A clinician's rules and the time off overlapping [from, to), in one round trip (slot listing). */
  async loadSchedule(db: Db, clinicianId: string, from: Date, to: Date) {
    const res = await db.execute<ScheduleColumns>(sql`select ${scheduleColumns(clinicianId, from, to)}`);
    return toSchedule(res.rows[0]!);
  },

  async deleteRules(db: Db, clinicianId: string): Promise<void> {
    await db.delete(availabilityRules).where(eq(availabilityRules.clinicianId, clinicianId));
  },

  async insertRules(db: Db, rows: Array<typeof availabilityRules.$inferInsert>): Promise<void> {
    if (rows.length) await db.insert(availabilityRules).values(rows);
  },

  /** Time off of these clinicians overlapping [from, to). */
  async listTimeOffOverlapping(db: Db, clinicianIds: string[], from: Date, to: Date) {
    if (clinicianIds.length === 0) return [];
    return db
      .select({
        id: timeOff.id,
        clinicianId: timeOff.clinicianId,
        startAt: timeOff.startAt,
        endAt: timeOff.endAt,
        reason: timeOff.reason,
      })
      .from(timeOff)
      .where(
        and(inArray(timeOff.clinicianId, clinicianIds), lt(timeOff.startAt, to), gt(timeOff.endAt, from)),
      )
      .orderBy(asc(timeOff.startAt));
  },

  async insertTimeOff(db: Db, row: typeof timeOff.$inferInsert): Promise<TimeOffRow> {
    const [saved] = await db.insert(timeOff).values(row).returning();
    return saved!;
  },

  async deleteTimeOff(db: Db, clinicianId: string, id: string): Promise<boolean> {
    const rows = await db
      .delete(timeOff)
      .where(and(eq(timeOff.clinicianId, clinicianId), eq(timeOff.id, id)))
      .returning({ id: timeOff.id });
    return rows.length > 0;
  },

  async listShifts(db: Db, clinicianIds?: string[]) {
    return db
      .select({
        clinicianId: onCallShifts.clinicianId,
        weekday: onCallShifts.weekday,
        startTime: onCallShifts.startTime,
        endTime: onCallShifts.endTime,
      })
      .from(onCallShifts)
      .where(clinicianIds ? inArray(onCallShifts.clinicianId, clinicianIds) : undefined)
      .orderBy(asc(onCallShifts.weekday), asc(onCallShifts.startTime));
  },

  async deleteShifts(db: Db, clinicianId: string): Promise<void> {
    await db.delete(onCallShifts).where(eq(onCallShifts.clinicianId, clinicianId));
  },

  async insertShifts(db: Db, rows: Array<typeof onCallShifts.$inferInsert>): Promise<void> {
    if (rows.length) await db.insert(onCallShifts).values(rows);
  },

  /** Serialises edits of one clinician's schedule (replace-all writes). */
  async lockClinician(db: Db, clinicianId: string): Promise<void> {
    await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`scheduling:${clinicianId}`}))`);
  },
};
