import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.table.js';

export const CHANNELS = ['whatsapp', 'sms', 'email', 'in_app', 'console'] as const;
export const PROVIDERS = ['gallabox', 'twilio', 'smtp', 'in_app', 'console'] as const;
export const NOTIFICATION_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const;

/**
 * The outbox: one row per message on one channel. A row is written in the caller's transaction;
 * outside providers are called only by the `messaging.deliver` job, after that commit.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    /** E.164 destination for whatsapp / sms (and console). */
    phone: text('phone'),
    email: text('email'),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    /** Who carries it: a real provider, or `console` when the channel's provider is not configured. */
    provider: text('provider', { enum: PROVIDERS }).notNull(),
    templateId: text('template_id').notNull(),
    /** Template variables; emptied once a sensitive message (OTP) reaches a final state. */
    vars: jsonb('vars').$type<Record<string, string>>().notNull(),
    /** Rendered text kept only for in-app and console messages (what the user or the dev inbox shows). */
    title: text('title'),
    body: text('body'),
    status: text('status', { enum: NOTIFICATION_STATUSES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Channels still to try, in order, if this one fails permanently. */
    fallbackChannels: text('fallback_channels').array().notNull().default(sql`'{}'::text[]`),
    providerMessageId: text('provider_message_id'),
    error: text('error'),
    /** The caller's key for one logical message; with the channel it names one row. */
    idempotencyKey: text('idempotency_key').notNull(),
    /** When a delivery attempt claimed the row (status `sending`). */
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('notifications_idempotency_channel_key').on(t.idempotencyKey, t.channel),
    index('notifications_user_in_app').on(t.userId, t.createdAt).where(sql`${t.channel} = 'in_app'`),
    index('notifications_console_phone').on(t.phone, t.createdAt).where(sql`${t.provider} = 'console'`),
    index('notifications_console_email').on(t.email, t.createdAt).where(sql`${t.provider} = 'console'`),
    check('notifications_status_check', sql`${t.status} in ('queued', 'sending', 'sent', 'failed')`),
    check(
      'notifications_channel_check',
      sql`${t.channel} in ('whatsapp', 'sms', 'email', 'in_app', 'console')`,
    ),
    check('notifications_attempts_check', sql`${t.attempts} >= 0`),
  ],
);

export type NotificationRow = typeof notifications.$inferSelect;
