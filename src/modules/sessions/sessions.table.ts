import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.table.js';

export const SESSION_KINDS = ['text', 'call'] as const;
export const SESSION_STATUSES = [
  'WAITING',
  'ACTIVE',
  'RINGING',
  'CONNECTED',
  'ENDED',
  'MISSED',
  'REJECTED',
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const END_REASONS = [
  'PATIENT_ENDED',
  'CLINICIAN_ENDED',
  'INSUFFICIENT_CREDITS',
  'PROVIDER_HANGUP',
] as const;

/**
 * A text (WAITING -> ACTIVE -> ENDED) or call (RINGING -> CONNECTED -> ENDED | MISSED | REJECTED)
 * session. Blocks are billed from `activated_at` / `connected_at` only; `blocks_charged` counts the
 * blocks charged (seed 003's `auto_deductions_processed`) and `next_block_at` is the billing timer.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    kind: text({ enum: SESSION_KINDS }).notNull(),
    status: text({ enum: SESSION_STATUSES }).notNull(),
    patientId: uuid()
      .notNull()
      .references(() => users.id),
    clinicianId: uuid()
      .notNull()
      .references(() => users.id),
    funding: text({ enum: ['credits', 'prepaid'] }).notNull(),
    appointmentId: uuid(),
    consultationId: uuid(),
    blockMinutes: integer().notNull(),
    activatedAt: timestamp({ withTimezone: true }),
    connectedAt: timestamp({ withTimezone: true }),
    /** A ringing call not answered by then is MISSED, swept or not. */
    ringExpiresAt: timestamp({ withTimezone: true }),
    endedAt: timestamp({ withTimezone: true }),
    endReason: text({ enum: END_REASONS }),
    blocksCharged: integer().notNull().default(0),
    nextBlockAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    index('sessions_due').on(t.nextBlockAt).where(sql`${t.nextBlockAt} is not null`),
    index('sessions_ringing').on(t.ringExpiresAt).where(sql`${t.status} = 'RINGING'`),
    index('sessions_patient').on(t.patientId, t.createdAt),
    index('sessions_clinician').on(t.clinicianId, t.createdAt),
    // Partial: credit-funded sessions have no appointment, and the tick rewrites their rows.
    index('sessions_appointment').on(t.appointmentId).where(sql`${t.appointmentId} is not null`),
    check(
      'sessions_status_by_kind',
      sql`(${t.kind} = 'text' and ${t.status} in ('WAITING', 'ACTIVE', 'ENDED'))
        or (${t.kind} = 'call' and ${t.status} in ('RINGING', 'CONNECTED', 'ENDED', 'MISSED', 'REJECTED'))`,
    ),
    // Invariant 14: never billed without the session having started (a call without connected_at).
    check(
      'sessions_billed_only_when_started',
      sql`${t.blocksCharged} = 0 or (${t.kind} = 'text' and ${t.activatedAt} is not null) or (${t.kind} = 'call' and ${t.connectedAt} is not null)`,
    ),
    check('sessions_blocks_nonnegative', sql`${t.blocksCharged} >= 0 and ${t.blockMinutes} > 0`),
    check('sessions_ended_has_time', sql`(${t.status} = 'ENDED') = (${t.endedAt} is not null)`),
    check(
      'sessions_funding_source',
      sql`${t.funding} = 'credits' or ${t.appointmentId} is not null or ${t.consultationId} is not null`,
    ),
  ],
);

export const sessionMessages = pgTable(
  'session_messages',
  {
    id: uuid().primaryKey().defaultRandom(),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id),
    senderId: uuid()
      .notNull()
      .references(() => users.id),
    body: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [index('session_messages_session').on(t.sessionId, t.createdAt)],
);
