import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per (caller, route, Idempotency-Key): the request's fingerprint and, once answered, the
 * reply to replay. `status` is null while the first request is still running.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** users.id of the caller, or `anonymous`. */
    scope: text().notNull(),
    /** `POST /api/booking/initiate` (the route pattern). */
    route: text().notNull(),
    key: text().notNull(),
    /** sha256 of the method, path and body. */
    requestHash: text().notNull(),
    status: integer(),
    contentType: text(),
    body: text(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    completedAt: timestamp({ withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.scope, t.route, t.key] })],
);
