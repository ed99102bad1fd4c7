import { sqlStateOf } from '../../platform/db/uow.js';
import type { AppointmentStatus, BookingSource } from './booking.rules.js';

/** Anything that runs SQL: a unit of work's `tx` or the pool (reads outside a transaction). */
export type Sql = {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
};

export type Appointment = {
  id: string;
  patientId: string;
  clinicianId: string;
  centreId: string | null;
  mode: 'online' | 'in_person';
  startsAt: Date;
  endsAt: Date;
  status: AppointmentStatus;
  holdExpiresAt: Date | null;
  remindAt: Date | null;
  priceMinor: number;
  currency: string;
  paymentId: string | null;
  planCode: string | null;
  bookedByUserId: string;
  source: BookingSource;
  cancelReason: string | null;
  cancelledByUserId: string | null;
  noShowReview: boolean;
  confirmedAt: Date | null;
  cancelledAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

const COLUMNS = `id, patient_id as "patientId", clinician_id as "clinicianId", centre_id as "centreId", mode,
  starts_at as "startsAt", ends_at as "endsAt", status, hold_expires_at as "holdExpiresAt",
  remind_at as "remindAt", price_minor as "priceMinor", currency, payment_id as "paymentId",
  plan_code as "planCode", booked_by_user_id as "bookedByUserId", source, cancel_reason as "cancelReason",
  cancelled_by_user_id as "cancelledByUserId", no_show_review as "noShowReview",
  confirmed_at as "confirmedAt", cancelled_at as "cancelledAt", completed_at as "completedAt",
  created_at as "createdAt", updated_at as "updatedAt"`;

export type NewAppointment = Pick<
  Appointment,
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
> & { now: Date };

export type AdminFilters = {
  status?: AppointmentStatus;
  clinicianId?: string;
  patientId?: string;
  source?: BookingSource;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
};

/**
 * SQL for appointments: one query per method, named for what it does. `changed` hears every write
 * that can change what a slot listing shows (inside a transaction: `occupancy.onCommit(tx)`).
 */
export function appointmentsRepository(db: Sql, changed: (clinicianId: string) => void = () => {}) {
  const one = async (text: string, values: unknown[]) =>
    ((await db.query<Appointment>(text, values)).rows[0] ?? null) as Appointment | null;
  const written = (a: Appointment | null) => {
    if (a) changed(a.clinicianId);
    return a;
  };
  const many = async (text: string, values: unknown[]) => (await db.query<Appointment>(text, values)).rows;

  return {
    /** Serialises one patient's bookings (hold limit, same-slot retry) for the rest of the transaction. */
    async lockPatient(patientId: string): Promise<void> {
      await db.query(`select pg_advisory_xact_lock(hashtext('booking.patient'), hashtext($1))`, [patientId]);
    },

    async insert(a: NewAppointment): Promise<Appointment | null> {
      return written(
        await one(
          `insert into appointments (patient_id, clinician_id, centre_id, mode, starts_at, ends_at, status,
           hold_expires_at, remind_at, price_minor, currency, plan_code, booked_by_user_id, source,
           confirmed_at, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
           case when $7 = 'CONFIRMED' then $15::timestamptz end, $15, $15)
         returning ${COLUMNS}`,
          [
            a.patientId,
            a.clinicianId,
            a.centreId,
            a.mode,
            a.startsAt,
            a.endsAt,
            a.status,
            a.holdExpiresAt,
            a.remindAt,
            a.priceMinor,
            a.currency,
            a.planCode,
            a.bookedByUserId,
            a.source,
            a.now,
          ],
        ),
      );
    },

    async setPayment(id: string, paymentId: string): Promise<void> {
      await db.query('update appointments set payment_id = $2 where id = $1', [id, paymentId]);
    },

    findById(id: string): Promise<Appointment | null> {
      return one(`select ${COLUMNS} from appointments where id = $1`, [id]);
    },

    findForUpdate(id: string): Promise<Appointment | null> {
      return one(`select ${COLUMNS} from appointments where id = $1 for update`, [id]);
    },

    findLiveHold(q: { patientId: string; clinicianId: string; startsAt: Date; now: Date }) {
      return one(
        `select ${COLUMNS} from appointments
          where patient_id = $1 and clinician_id = $2 and starts_at = $3
            and status = 'PENDING_PAYMENT' and hold_expires_at > $4`,
        [q.patientId, q.clinicianId, q.startsAt, q.now],
      );
    },

    async countLiveHolds(patientId: string, now: Date): Promise<number> {
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from appointments
          where patient_id = $1 and status = 'PENDING_PAYMENT' and hold_expires_at > $2`,
        [patientId, now],
      );
      return rows[0]?.n ?? 0;
    },

    /** Lapsed holds of this clinician overlapping [from, to) become EXPIRED, so they stop blocking the slot. */
    async expireLapsedOverlapping(q: {
      clinicianId: string;
      from: Date;
      to: Date;
      now: Date;
    }): Promise<string[]> {
      const { rows } = await db.query<{ id: string }>(
        `update appointments set status = 'EXPIRED', updated_at = $4
          where clinician_id = $1 and status = 'PENDING_PAYMENT' and hold_expires_at <= $4
            and tstzrange(starts_at, ends_at, '[)') && tstzrange($2, $3, '[)')
          returning id`,
        [q.clinicianId, q.from, q.to, q.now],
      );
      return rows.map((r) => r.id);
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
      return written(
        await one(
          `update appointments set status = $2, updated_at = $3,
           confirmed_at = case when $2 = 'CONFIRMED' then $3 else confirmed_at end,
           cancelled_at = case when $2 = 'CANCELLED' then $3 else cancelled_at end,
           completed_at = case when $2 = 'COMPLETED' then $3 else completed_at end,
           remind_at = case when $4 then $5 else remind_at end,
           cancel_reason = coalesce($6, cancel_reason),
           cancelled_by_user_id = coalesce($7, cancelled_by_user_id),
           no_show_review = coalesce($8, no_show_review)
         where id = $1 returning ${COLUMNS}`,
          [
            id,
            s.status,
            s.now,
            s.remindAt !== undefined,
            s.remindAt ?? null,
            s.cancelReason ?? null,
            s.cancelledByUserId ?? null,
            s.noShowReview ?? null,
          ],
        ),
      );
    },

    async move(
      id: string,
      to: { startsAt: Date; endsAt: Date; centreId: string | null; remindAt: Date | null; now: Date },
    ): Promise<Appointment | null> {
      return written(
        await one(
          `update appointments set starts_at = $2, ends_at = $3, centre_id = $4, remind_at = $5, updated_at = $6
            where id = $1 returning ${COLUMNS}`,
          [id, to.startsAt, to.endsAt, to.centreId, to.remindAt, to.now],
        ),
      );
    },

    /** The sweeper: lapsed holds become EXPIRED (at most `limit` per call). */
    async expireLapsedHolds(now: Date, limit: number): Promise<string[]> {
      const { rows } = await db.query<{ id: string }>(
        `update appointments set status = 'EXPIRED', updated_at = $1
          where id in (select id from appointments
                        where status = 'PENDING_PAYMENT' and hold_expires_at <= $1
                        order by hold_expires_at limit $2 for update skip locked)
          returning id`,
        [now, limit],
      );
      return rows.map((r) => r.id);
    },

    /** The no-show job: CONFIRMED appointments that ended before `endedBefore` become NO_SHOW awaiting review. */
    async markNoShows(endedBefore: Date, now: Date, limit: number): Promise<string[]> {
      const { rows } = await db.query<{ id: string }>(
        `update appointments set status = 'NO_SHOW', no_show_review = true, updated_at = $2
          where id in (select id from appointments
                        where status = 'CONFIRMED' and ends_at <= $1
                        order by ends_at limit $3 for update skip locked)
          returning id`,
        [endedBefore, now, limit],
      );
      return rows.map((r) => r.id);
    },

    async listOccupancy(clinicianId: string, from: Date, to: Date, now: Date) {
      const { rows } = await db.query<{
        startAt: Date;
        endAt: Date;
        status: 'held' | 'booked';
        until: Date | null;
      }>(
        `select starts_at as "startAt", ends_at as "endAt",
                case when status = 'PENDING_PAYMENT' then 'held' else 'booked' end as status,
                case when status = 'PENDING_PAYMENT' then hold_expires_at end as until
           from appointments
          where clinician_id = $1 and starts_at < $3 and ends_at > $2
            and (status in ('CONFIRMED', 'COMPLETED') or (status = 'PENDING_PAYMENT' and hold_expires_at > $4))
          order by starts_at`,
        [clinicianId, from, to, now],
      );
      return rows;
    },

    /** Upcoming: live holds and confirmed ones not yet ended, soonest first. Past: the rest, latest first. */
    listForPatient(patientId: string, scope: 'upcoming' | 'past', now: Date, limit: number) {
      const upcoming = `ends_at > $2 and (status = 'CONFIRMED' or (status = 'PENDING_PAYMENT' and hold_expires_at > $2))`;
      return many(
        `select ${COLUMNS} from appointments where patient_id = $1 and ${scope === 'upcoming' ? upcoming : `not (${upcoming})`}
          order by starts_at ${scope === 'upcoming' ? 'asc' : 'desc'} limit $3`,
        [patientId, now, limit],
      );
    },

    listForClinician(clinicianId: string, from: Date, to: Date) {
      return many(
        `select ${COLUMNS} from appointments
          where clinician_id = $1 and starts_at < $3 and ends_at > $2
            and status in ('PENDING_PAYMENT', 'CONFIRMED', 'COMPLETED', 'NO_SHOW')
          order by starts_at`,
        [clinicianId, from, to],
      );
    },

    listForAdmin(f: AdminFilters) {
      return many(
        `select ${COLUMNS} from appointments
          where ($1::text is null or status = $1) and ($2::uuid is null or clinician_id = $2)
            and ($3::uuid is null or patient_id = $3) and ($4::text is null or source = $4)
            and ($5::timestamptz is null or starts_at >= $5) and ($6::timestamptz is null or starts_at < $6)
          order by starts_at desc, id limit $7 offset $8`,
        [
          f.status ?? null,
          f.clinicianId ?? null,
          f.patientId ?? null,
          f.source ?? null,
          f.from ?? null,
          f.to ?? null,
          f.limit,
          f.offset,
        ],
      );
    },
  };
}

export type AppointmentsRepository = ReturnType<typeof appointmentsRepository>;

/** PostgreSQL's exclusion_violation: another held or confirmed appointment overlaps. */
export const isOverlapViolation = (err: unknown) => sqlStateOf(err) === '23P01';
