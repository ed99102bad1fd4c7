import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, lt, lte, not, or, sql } from 'drizzle-orm';
import { createStatementCache, rowShape } from '../../platform/db/prebuilt.js';
import { type Db, sqlStateOf } from '../../platform/db/uow.js';
import { exactInstant } from '../../platform/paging.js';
import type { AppointmentStatus, BookingSource } from './booking.rules.js';
import { appointments } from './booking.table.js';

/** An appointment row, as Drizzle types it from `booking.table.ts`. */
export type Appointment = typeof appointments.$inferSelect;

export type NewAppointment = Pick<
  typeof appointments.$inferInsert,
  | 'patientId'
  | 'clinicianId'
  | 'centreId'
  | 'mode'
  | 'startsAt'
  | 'endsAt'
  | 'status'
  | 'holdExpiresAt'
  | 'remindAt'
  | 'priceMinor'
  | 'currency'
  | 'planCode'
  | 'bookedByUserId'
  | 'source'
> & { now: Date; paymentOpen?: boolean; paymentId?: string | null };

export type AdminFilters = {
  status?: AppointmentStatus;
  clinicianId?: string;
  patientId?: string;
  source?: BookingSource;
  from?: Date;
  to?: Date;
  limit: number;
  /** The (startsAt ISO, id) keyset of the previous page's last row: rows after it in the list's order. */
  after?: [string, string];
};

const a = appointments;
/** A live hold at `now`: unpaid and its hold not lapsed. */
const liveHold = (now: Date) => and(eq(a.status, 'PENDING_PAYMENT'), gt(a.holdExpiresAt, now));
/**
 * A lapsed hold that may be released: its payment is settled (failed, expired). One whose payment
 * is still open keeps its slot until payments has asked the gateway (issue 12): it may be paid.
 */
const lapsedHold = (now: Date) =>
  and(eq(a.status, 'PENDING_PAYMENT'), lte(a.holdExpiresAt, now), eq(a.paymentOpen, false));
/** A hold that occupies its slot: live, or lapsed while its payment may still have been paid. */
const occupyingHold = (now: Date) =>
  and(eq(a.status, 'PENDING_PAYMENT'), or(gt(a.holdExpiresAt, now), eq(a.paymentOpen, true)));
const overlapping = (from: Date, to: Date) => and(lt(a.startsAt, to), gt(a.endsAt, from));

/**
 * SQL for appointments: one query per method, named for what it does, on the handle it is given (a
 * unit of work's `tx.db`, or a pool handle outside one). `changed` hears every write that can change
 * what a slot listing shows (inside a transaction: `occupancy.onCommit(tx)`).
 */
/** The row a new appointment is written as, stamped at `now`. */
const newRow = ({ now, ...values }: NewAppointment & { id?: string }) => ({
  ...values,
  confirmedAt: values.status === 'CONFIRMED' ? now : null,
  createdAt: now,
  updatedAt: now,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The patient's and clinician's initiate locks as a statement without parameters, so a unit of work
 * can send it with its BEGIN (one round trip fewer). Only uuids are ever put in the text.
 */
export function patientAndClinicianLockSql(patientId: string, clinicianId: string): string {
  if (!UUID.test(patientId) || !UUID.test(clinicianId)) throw new Error('lock ids must be uuids');
  return `select pg_advisory_xact_lock(hashtext('booking.patient'), hashtext('${patientId}')), pg_advisory_xact_lock(hashtext('booking.clinician'), hashtext('${clinicianId}'))`;
}

const statements = createStatementCache();

/**
 * insertIfFreeCounting's statement, with placeholders: the row's, `now` and `since`. The patient's
 * counts come from subqueries, which see the table as it was before the insert.
 */
function insertCountingStatement(db: Db, row: Record<string, unknown>) {
  const values = row as unknown as ReturnType<typeof newRow>;
  const mine = sql`x.patient_id = ${sql.placeholder('patientId')}`;
  return db
    .insert(a)
    .values(values)
    .onConflictDoNothing()
    .returning({
      ...getTableColumns(a),
      live: sql<number>`(select count(*)::int from ${a} x where ${mine} and x.status = 'PENDING_PAYMENT' and x.hold_expires_at > ${sql.placeholder('now')}::timestamptz)`,
      unpaidSince: sql<number>`(select count(*)::int from ${a} x where ${mine} and x.status in ('PENDING_PAYMENT', 'EXPIRED') and x.created_at > ${sql.placeholder('since')}::timestamptz)`,
    });
}

export function appointmentsRepository(db: Db, changed: (clinicianId: string) => void = () => {}) {
  const written = (row: Appointment | undefined) => {
    if (row) changed(row.clinicianId);
    return row ?? null;
  };
  const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

  return {
    /** Serialises one patient's bookings (hold limit, same-slot retry) for the rest of the transaction. */
    async lockPatient(patientId: string): Promise<void> {
      await db.execute(
        sql`select pg_advisory_xact_lock(hashtext('booking.patient'), hashtext(${patientId}))`,
      );
    },

    /**
     * Serialises writes that put time into one clinician's exclusion constraint (new holds, late
     * confirmations, moves). Two overlapping inserts checked by the constraint at once each wait
     * for the other (`deadlock detected`); in turn, one waits and then meets a clean exclusion
     * violation. Order: patient lock, then this, then row locks.
     */
    async lockClinician(clinicianId: string): Promise<void> {
      await db.execute(
        sql`select pg_advisory_xact_lock(hashtext('booking.clinician'), hashtext(${clinicianId}))`,
      );
    },

    /** The clinician lock for an appointment known only by id (payment handlers), before its row lock. */
    async lockClinicianOf(id: string): Promise<void> {
      await db.execute(
        sql`select pg_advisory_xact_lock(hashtext('booking.clinician'), hashtext(${a.clinicianId}::text)) from ${a} where ${a.id} = ${id}`,
      );
    },

    /**
     * In one read: the patient's live hold of this slot (its id), their live holds, and their unpaid
     * holds started since `since` (the daily quota).
     */
    async holdFacts(q: { patientId: string; clinicianId: string; startsAt: Date; now: Date; since: Date }) {
      const live = sql`${a.status} = 'PENDING_PAYMENT' and ${a.holdExpiresAt} > ${q.now}`;
      const rows = await db
        .select({
          sameSlot: sql<
            string | null
          >`(array_agg(${a.id}) filter (where ${live} and ${a.clinicianId} = ${q.clinicianId} and ${a.startsAt} = ${q.startsAt}))[1]`,
          live: sql<number>`(count(*) filter (where ${live}))::int`,
          unpaidSince: sql<number>`(count(*) filter (where ${a.createdAt} > ${q.since}))::int`,
        })
        .from(a)
        .where(
          and(
            eq(a.patientId, q.patientId),
            or(eq(a.status, 'PENDING_PAYMENT'), and(eq(a.status, 'EXPIRED'), gt(a.createdAt, q.since))),
          ),
        );
      return rows[0] ?? { sameSlot: null, live: 0, unpaidSince: 0 };
    },

    /**
     * Inserts unless a held or booked appointment overlaps (then null: the caller frees lapsed holds
     * and insists), returning in the same statement the patient's hold counts as they were before
     * it (a statement never sees its own insert): the limits are checked after, and a hold over
     * them is refused by rolling the transaction back.
     */
    async insertIfFreeCounting(
      values: NewAppointment & { id: string; patientId: string },
      since: Date,
    ): Promise<{ appointment: Appointment; live: number; unpaidSince: number } | null> {
      const row = newRow(values);
      const { shape, placeholders } = rowShape(row);
      const [inserted] = await statements<Appointment & { live: number; unpaidSince: number }>(
        db,
        `insertIfFreeCounting|${shape}`,
        () => insertCountingStatement(db, placeholders()),
        { ...row, since, now: values.now },
      );
      if (!inserted) return null;
      const { live, unpaidSince, ...appointment } = inserted;
      return { appointment: written(appointment)!, live, unpaidSince };
    },

    async insert(values: NewAppointment & { id?: string }): Promise<Appointment | null> {
      const [row] = await db.insert(a).values(newRow(values)).returning();
      return written(row);
    },

    /** The hold's current payment attempt, open until payments settles it. */
    async setPayment(id: string, paymentId: string, now: Date): Promise<Appointment | null> {
      const [row] = await db
        .update(a)
        .set({ paymentId, paymentOpen: true, updatedAt: now })
        .where(eq(a.id, id))
        .returning();
      return row ?? null;
    },

    /** The payment failed while the hold is live: the hold stays (a new attempt may pay it) and lapses on time. */
    async closePayment(id: string, now: Date): Promise<Appointment | null> {
      const [row] = await db
        .update(a)
        .set({ paymentOpen: false, updatedAt: now })
        .where(eq(a.id, id))
        .returning();
      return written(row);
    },

    async findById(id: string): Promise<Appointment | null> {
      return (await db.select().from(a).where(eq(a.id, id)))[0] ?? null;
    },

    async findForUpdate(id: string): Promise<Appointment | null> {
      return (await db.select().from(a).where(eq(a.id, id)).for('update'))[0] ?? null;
    },

    async findLiveHold(q: { patientId: string; clinicianId: string; startsAt: Date; now: Date }) {
      const rows = await db
        .select()
        .from(a)
        .where(
          and(
            eq(a.patientId, q.patientId),
            eq(a.clinicianId, q.clinicianId),
            eq(a.startsAt, q.startsAt),
            liveHold(q.now),
          ),
        );
      return rows[0] ?? null;
    },

    async countLiveHolds(patientId: string, now: Date): Promise<number> {
      const rows = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(a)
        .where(and(eq(a.patientId, patientId), liveHold(now)));
      return rows[0]?.n ?? 0;
    },

    /** Lapsed holds of this clinician overlapping [from, to) become EXPIRED, so they stop blocking the slot. */
    async expireLapsedOverlapping(q: {
      clinicianId: string;
      from: Date;
      to: Date;
      now: Date;
    }): Promise<string[]> {
      return ids(
        await db
          .update(a)
          .set({ status: 'EXPIRED', updatedAt: q.now })
          .where(and(eq(a.clinicianId, q.clinicianId), lapsedHold(q.now), overlapping(q.from, q.to)))
          .returning({ id: a.id }),
      );
    },

    /** Moves one appointment to `status`, stamping the column that goes with it. */
    async updateStatus(
      id: string,
      s: {
        status: AppointmentStatus;
        now: Date;
        remindAt?: Date | null;
        cancelReason?: string | null;
        cancelledByUserId?: string | null;
        noShowReview?: boolean;
      },
    ): Promise<Appointment | null> {
      const [row] = await db
        .update(a)
        .set({
          status: s.status,
          updatedAt: s.now,
          ...(s.status !== 'PENDING_PAYMENT' ? { paymentOpen: false } : {}),
          ...(s.status === 'CONFIRMED' ? { confirmedAt: s.now } : {}),
          ...(s.status === 'CANCELLED' ? { cancelledAt: s.now } : {}),
          ...(s.status === 'COMPLETED' ? { completedAt: s.now } : {}),
          ...(s.remindAt !== undefined ? { remindAt: s.remindAt } : {}),
          ...(s.cancelReason != null ? { cancelReason: s.cancelReason } : {}),
          ...(s.cancelledByUserId != null ? { cancelledByUserId: s.cancelledByUserId } : {}),
          ...(s.noShowReview !== undefined ? { noShowReview: s.noShowReview } : {}),
        })
        .where(eq(a.id, id))
        .returning();
      return written(row);
    },

    async move(
      id: string,
      to: { startsAt: Date; endsAt: Date; centreId: string | null; remindAt: Date | null; now: Date },
    ): Promise<Appointment | null> {
      const { now, ...values } = to;
      const [row] = await db
        .update(a)
        .set({ ...values, updatedAt: now })
        .where(eq(a.id, id))
        .returning();
      return written(row);
    },

    /** The sweeper: lapsed holds become EXPIRED (at most `limit` per call). */
    async expireLapsedHolds(now: Date, limit: number): Promise<string[]> {
      const due = db
        .select({ id: a.id })
        .from(a)
        .where(lapsedHold(now))
        .orderBy(asc(a.holdExpiresAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      return ids(
        await db
          .update(a)
          .set({ status: 'EXPIRED', updatedAt: now })
          .where(inArray(a.id, due))
          .returning({ id: a.id }),
      );
    },

    /** The no-show job: CONFIRMED appointments that ended before `endedBefore` become NO_SHOW awaiting review. */
    async markNoShows(endedBefore: Date, now: Date, limit: number): Promise<string[]> {
      const due = db
        .select({ id: a.id })
        .from(a)
        .where(and(eq(a.status, 'CONFIRMED'), lte(a.endsAt, endedBefore)))
        .orderBy(asc(a.endsAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      return ids(
        await db
          .update(a)
          .set({ status: 'NO_SHOW', noShowReview: true, updatedAt: now })
          .where(inArray(a.id, due))
          .returning({ id: a.id }),
      );
    },

    /** Held and booked time overlapping [from, to): of one clinician, or of several (slot search's next-slot read). */
    async listOccupancy(clinicians: string | string[], from: Date, to: Date, now: Date) {
      const held = sql`${a.status} = 'PENDING_PAYMENT'`;
      // A hold whose payment is open lapses only when payments settles it (booking then says so).
      const lapses = sql`${held} and not ${a.paymentOpen}`;
      return db
        .select({
          clinicianId: a.clinicianId,
          startAt: a.startsAt,
          endAt: a.endsAt,
          status: sql<'held' | 'booked'>`case when ${held} then 'held' else 'booked' end`,
          until: sql<Date | null>`case when ${lapses} then ${a.holdExpiresAt} end`.mapWith(a.holdExpiresAt),
        })
        .from(a)
        .where(
          and(
            typeof clinicians === 'string'
              ? eq(a.clinicianId, clinicians)
              : inArray(a.clinicianId, clinicians),
            overlapping(from, to),
            or(inArray(a.status, ['CONFIRMED', 'COMPLETED']), occupyingHold(now)),
          ),
        )
        .orderBy(asc(a.startsAt));
    },

    /** Upcoming: live holds and confirmed ones not yet ended, soonest first. Past: the rest, latest first. */
    listForPatient(patientId: string, scope: 'upcoming' | 'past', now: Date, limit: number) {
      const upcoming = and(gt(a.endsAt, now), or(eq(a.status, 'CONFIRMED'), occupyingHold(now)))!;
      return db
        .select()
        .from(a)
        .where(and(eq(a.patientId, patientId), scope === 'upcoming' ? upcoming : not(upcoming)))
        .orderBy(scope === 'upcoming' ? asc(a.startsAt) : desc(a.startsAt))
        .limit(limit);
    },

    listForClinician(clinicianId: string, from: Date, to: Date) {
      return db
        .select()
        .from(a)
        .where(
          and(
            eq(a.clinicianId, clinicianId),
            overlapping(from, to),
            inArray(a.status, ['PENDING_PAYMENT', 'CONFIRMED', 'COMPLETED', 'NO_SHOW']),
          ),
        )
        .orderBy(asc(a.startsAt));
    },

    listForAdmin(f: AdminFilters) {
      return db
        .select({ ...getTableColumns(a), cursorAt: exactInstant(a.startsAt) })
        .from(a)
        .where(
          and(
            f.status ? eq(a.status, f.status) : undefined,
            f.clinicianId ? eq(a.clinicianId, f.clinicianId) : undefined,
            f.patientId ? eq(a.patientId, f.patientId) : undefined,
            f.source ? eq(a.source, f.source) : undefined,
            f.from ? gte(a.startsAt, f.from) : undefined,
            f.to ? lt(a.startsAt, f.to) : undefined,
            f.after
              ? sql`(${a.startsAt}, ${a.id}) < (${f.after[0]}::timestamptz, ${f.after[1]}::uuid)`
              : undefined,
          ),
        )
        .orderBy(desc(a.startsAt), desc(a.id))
        .limit(f.limit);
    },
  };
}

export type AppointmentsRepository = ReturnType<typeof appointmentsRepository>;

/** PostgreSQL's exclusion_violation: another held or confirmed appointment overlaps. */
export const isOverlapViolation = (err: unknown) => sqlStateOf(err) === '23P01';
