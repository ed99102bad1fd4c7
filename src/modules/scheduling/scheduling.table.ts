import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { centres } from '../catalog/catalog.table.js';
import { users } from '../identity/identity.table.js';

const HHMM = `'^([01][0-9]|2[0-3]):[0-5][0-9]$'`;

/** Weekly availability, written in the clinician's IANA zone (clinician_profiles.time_zone). */
export const availabilityRules = pgTable(
  'availability_rules',
  {
    id: uuid().primaryKey().defaultRandom(),
    clinicianId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** ISO weekday: 1 = Monday ... 7 = Sunday. */
    weekday: smallint().notNull(),
    /** Local wall-clock "HH:MM". */
    startTime: text().notNull(),
    endTime: text().notNull(),
    mode: text({ enum: ['online', 'in_person'] }).notNull(),
    centreId: uuid().references(() => centres.id),
    slotMinutes: integer().notNull(),
  },
  (t) => [
    index('availability_rules_clinician').on(t.clinicianId),
    check('availability_rules_weekday', sql`${t.weekday} between 1 and 7`),
    check(
      'availability_rules_times',
      sql.raw(`start_time ~ ${HHMM} and end_time ~ ${HHMM} and start_time < end_time`),
    ),
    check('availability_rules_slot_minutes', sql`${t.slotMinutes} between 5 and 480`),
    check(
      'availability_rules_centre_for_in_person',
      sql`(${t.mode} = 'in_person') = (${t.centreId} is not null)`,
    ),
  ],
);

export const timeOff = pgTable(
  'time_off',
  {
    id: uuid().primaryKey().defaultRandom(),
    clinicianId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    startAt: timestamp({ withTimezone: true }).notNull(),
    endAt: timestamp({ withTimezone: true }).notNull(),
    reason: text().notNull().default(''),
    createdBy: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    index('time_off_clinician_end').on(t.clinicianId, t.endAt),
    check('time_off_range', sql`${t.startAt} < ${t.endAt}`),
  ],
);

/** On-call hours for on-demand consultations, in the clinician's zone. */
export const onCallShifts = pgTable(
  'on_call_shifts',
  {
    id: uuid().primaryKey().defaultRandom(),
    clinicianId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    weekday: smallint().notNull(),
    startTime: text().notNull(),
    endTime: text().notNull(),
  },
  (t) => [
    index('on_call_shifts_clinician').on(t.clinicianId),
    check('on_call_shifts_weekday', sql`${t.weekday} between 1 and 7`),
    check(
      'on_call_shifts_times',
      sql.raw(`start_time ~ ${HHMM} and end_time ~ ${HHMM} and start_time < end_time`),
    ),
  ],
);
