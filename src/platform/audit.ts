import { and, desc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { auditLog } from './audit.table.js';
import type { Actor, Role } from './auth.js';
import type { Db, Tx } from './db/uow.js';
import { exactInstant } from './paging.js';

/** Where a request came from; routes take it from the request and pass it to services. */
export type RequestMeta = { requestId?: string | null; ip?: string | null; userAgent?: string | null };

/** The request id, client address and user agent of a Fastify request, bounded for storage. */
export const requestMetaOf = (req: FastifyRequest): RequestMeta => ({
  requestId: req.id,
  ip: req.ip ?? null,
  userAgent: (req.headers['user-agent'] ?? '').slice(0, 400) || null,
});

export type AuditActor = Pick<Actor, 'userId' | 'role'> | { userId: string; role?: Role } | null;

export type AuditEntry = RequestMeta & {
  /** Who did it; null for the system (jobs, CLI, webhooks). */
  actor: AuditActor;
  /** Dotted verb, e.g. `profile.read`, `profile.update`, `consultation.notes.update`. */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  /** Names of the fields written, never their values. */
  changedFields?: readonly string[];
  /** Defaults to the database's clock. */
  at?: Date;
};

export type AuditRow = typeof auditLog.$inferSelect;

// A field name, possibly dotted (`address.city`): anything else (a value slipped in by mistake) is refused.
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$/;

export class AuditFieldError extends Error {
  override name = 'AuditFieldError';
}

/**
 * One helper every module uses to write the audit trail, inside the transaction of the read or
 * change it records, so an audit row exists exactly when the action happened.
 */
export const audit = {
  async record(tx: Pick<Tx, 'db'>, entry: AuditEntry): Promise<void> {
    const changedFields = [...new Set(entry.changedFields ?? [])].sort();
    for (const f of changedFields)
      if (!FIELD_NAME.test(f)) throw new AuditFieldError('audit changedFields must be field names only');
    await tx.db.insert(auditLog).values({
      ...(entry.at ? { occurredAt: entry.at } : {}),
      actorId: entry.actor?.userId ?? null,
      actorRole: entry.actor?.role ?? null,
      action: entry.action.slice(0, 100),
      resourceType: entry.resourceType.slice(0, 100),
      resourceId: entry.resourceId ?? null,
      requestId: entry.requestId?.slice(0, 100) ?? null,
      ip: entry.ip?.slice(0, 100) ?? null,
      userAgent: entry.userAgent?.slice(0, 400) ?? null,
      changedFields,
    });
  },

  /** Newest first; for admins and tests. */
  async list(
    db: Db,
    filter: {
      resourceType?: string;
      resourceId?: string;
      actorId?: string;
      limit?: number;
      /** Rows strictly older than this (`cursorAt`, id): the keyset of the previous page's last row. */
      before?: [string, string];
    } = {},
  ): Promise<Array<AuditRow & { cursorAt: string }>> {
    const where: SQL[] = [];
    if (filter.before)
      where.push(
        sql`(${auditLog.occurredAt}, ${auditLog.id}) < (${filter.before[0]}::timestamptz, ${filter.before[1]}::uuid)`,
      );
    if (filter.resourceType) where.push(eq(auditLog.resourceType, filter.resourceType));
    if (filter.resourceId) where.push(eq(auditLog.resourceId, filter.resourceId));
    if (filter.actorId) where.push(eq(auditLog.actorId, filter.actorId));
    return db
      .select({ ...getTableColumns(auditLog), cursorAt: exactInstant(auditLog.occurredAt) })
      .from(auditLog)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(auditLog.occurredAt), desc(auditLog.id))
      .limit(Math.min(filter.limit ?? 100, 501));
  },
};
