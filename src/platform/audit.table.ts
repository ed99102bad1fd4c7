import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Append-only record of who read or changed what. The database refuses UPDATE, DELETE and
 * TRUNCATE on it (trigger in migration `identity_audit_append_only`). `changedFields` holds
 * field names only, never values: clinical text must not leak into the audit trail.
 * No foreign key to users: the trail outlives whatever it mentions.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: uuid().primaryKey().defaultRandom(),
    occurredAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** users.id of the actor; null for the system (jobs, CLI, webhooks). */
    actorId: uuid(),
    actorRole: text(),
    action: text().notNull(),
    resourceType: text().notNull(),
    resourceId: text(),
    requestId: text(),
    ip: text(),
    userAgent: text(),
    changedFields: text().array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [
    index('audit_log_resource').on(t.resourceType, t.resourceId, t.occurredAt),
    index('audit_log_actor').on(t.actorId, t.occurredAt),
  ],
);
