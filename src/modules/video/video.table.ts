import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.table.js';

export const VIDEO_PROVIDERS = ['JITSI', 'GOOGLE_MEET'] as const;
export const VIDEO_STATUSES = ['PENDING', 'SCHEDULED', 'CANCELLED'] as const;
/** Whether the Google event follows the row's latest times (or cancellation). */
export const CALENDAR_SYNC_STATES = ['PENDING', 'DONE', 'FAILED'] as const;

/**
 * One meeting per appointment (seed 004's columns). A row starts PENDING in the booking's
 * transaction; the `video.create_meeting` job fills the links and makes it SCHEDULED.
 */
export const videoSessions = pgTable(
  'video_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** booking's appointment id; no foreign key so that video stays independent of booking's tables. */
    appointmentId: uuid('appointment_id').notNull(),
    provider: text('provider', { enum: VIDEO_PROVIDERS }).notNull(),
    /** Jitsi room name or Google Calendar event id. */
    meetingId: text('meeting_id'),
    joinUrl: text('join_url'),
    hostUrl: text('host_url'),
    status: text('status', { enum: VIDEO_STATUSES }).notNull(),
    title: text('title').notNull(),
    scheduledStartAt: timestamp('scheduled_start_at', { withTimezone: true }).notNull(),
    scheduledEndAt: timestamp('scheduled_end_at', { withTimezone: true }).notNull(),
    patientUserId: uuid('patient_user_id').references(() => users.id),
    clinicianUserId: uuid('clinician_user_id').references(() => users.id),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    /**
     * Bumped by every change the Google event must follow (reschedule, cancel); a
     * `video.sync_calendar_event` job carries the revision it was sent for and does nothing once stale.
     */
    calendarRevision: integer('calendar_revision').notNull().default(0),
    /** null: no change ever asked; PENDING: the event is behind the row; FAILED: Google refused (see error). */
    calendarSync: text('calendar_sync', { enum: CALENDAR_SYNC_STATES }),
    /** Calls made for the current revision (bounded by the same backoff policy as creation). */
    calendarAttempts: integer('calendar_attempts').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('video_sessions_appointment_key').on(t.appointmentId),
    check('video_sessions_provider_check', sql`${t.provider} in ('JITSI', 'GOOGLE_MEET')`),
    check('video_sessions_status_check', sql`${t.status} in ('PENDING', 'SCHEDULED', 'CANCELLED')`),
    check('video_sessions_times_check', sql`${t.scheduledEndAt} > ${t.scheduledStartAt}`),
    check(
      'video_sessions_calendar_sync_check',
      sql`${t.calendarSync} is null or ${t.calendarSync} in ('PENDING', 'DONE', 'FAILED')`,
    ),
    check('video_sessions_scheduled_has_link', sql`${t.status} <> 'SCHEDULED' or ${t.joinUrl} is not null`),
  ],
);

export type VideoSessionRow = typeof videoSessions.$inferSelect;
