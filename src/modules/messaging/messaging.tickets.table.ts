import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Stream tickets already used: a ticket opens one stream, on any instance. Rows outlive the ticket briefly. */
export const streamTicketUses = pgTable(
  'stream_ticket_uses',
  {
    jti: text().primaryKey(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [index('stream_ticket_uses_expires').on(t.expiresAt)],
);
