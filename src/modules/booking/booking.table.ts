import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.table.js';

export const APPOINTMENT_STATUSES = [
  'PENDING_PAYMENT',
  'CONFIRMED',
  'EXPIRED',
  'CANCELLED',
  'COMPLETED',
  'NO_SHOW',
] as const;
export const BOOKING_SOURCES = ['WEB_PATIENT', 'FRONT_DESK', 'ADMIN'] as const;
export const APPOINTMENT_MODES = ['online', 'in_person'] as const;

/**
 * One row per booking attempt. A slot's status is derived from these rows (held = live
 * PENDING_PAYMENT, booked = CONFIRMED/COMPLETED), never stored twice. The exclusion constraint
 * `appointments_no_overlap` (custom migration) makes two held/confirmed rows of one clinician
 * that overlap in time impossible.
 */
export const appointments = pgTable(
  'appointments',
  {
    id: uuid().primaryKey().defaultRandom(),
    patientId: uuid()
      .notNull()
      .references(() => users.id),
    /** The clinician's users.id. */
    clinicianId: uuid()
      .notNull()
      .references(() => users.id),
    /** The centre for in-person appointments (catalog's centre id); null online. */
    centreId: uuid(),
    mode: text({ enum: APPOINTMENT_MODES }).notNull(),
    startsAt: timestamp({ withTimezone: true }).notNull(),
    endsAt: timestamp({ withTimezone: true }).notNull(),
    status: text({ enum: APPOINTMENT_STATUSES }).notNull(),
    /** While PENDING_PAYMENT: the hold is live only before this instant, swept or not. */
    holdExpiresAt: timestamp({ withTimezone: true }),
    /** When the reminder is due; the reminder job sends only if this still matches its payload. */
    remindAt: timestamp({ withTimezone: true }),
    /** The fee at booking time in minor units (0 for a free booking), with its currency. */
    priceMinor: integer().notNull(),
    currency: text().notNull(),
    /** payments' payment id for a paid booking; null for a free one. */
    paymentId: uuid(),
    /**
     * While PENDING_PAYMENT: the current payment may still be paid (payments has not settled it).
     * A lapsed hold keeps its slot until this is false: its expiry asks the gateway first.
     */
    paymentOpen: boolean().notNull().default(false),
    planCode: text(),
    bookedByUserId: uuid()
      .notNull()
      .references(() => users.id),
    source: text({ enum: BOOKING_SOURCES }).notNull(),
    cancelReason: text(),
    cancelledByUserId: uuid().references(() => users.id),
    /** Set when the no-show job (not the clinician) marked it: awaiting review. */
    noShowReview: boolean().notNull().default(false),
    confirmedAt: timestamp({ withTimezone: true }),
    cancelledAt: timestamp({ withTimezone: true }),
    completedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    index('appointments_patient_starts').on(t.patientId, t.startsAt),
    index('appointments_clinician_starts').on(t.clinicianId, t.startsAt),
    index('appointments_status_hold').on(t.status, t.holdExpiresAt),
    index('appointments_status_ends').on(t.status, t.endsAt),
    index('appointments_starts').on(t.startsAt),
    check(
      'appointments_status_check',
      sql`${t.status} in ('PENDING_PAYMENT', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'COMPLETED', 'NO_SHOW')`,
    ),
    check('appointments_source_check', sql`${t.source} in ('WEB_PATIENT', 'FRONT_DESK', 'ADMIN')`),
    check('appointments_mode_check', sql`${t.mode} in ('online', 'in_person')`),
    check('appointments_range_check', sql`${t.endsAt} > ${t.startsAt}`),
    check('appointments_price_check', sql`${t.priceMinor} >= 0`),
    check('appointments_hold_check', sql`${t.status} <> 'PENDING_PAYMENT' or ${t.holdExpiresAt} is not null`),
  ],
);

export type AppointmentRow = typeof appointments.$inferSelect;
