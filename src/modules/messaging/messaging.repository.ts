import { and, asc, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/uow.js';
import { type NotificationRow, notifications } from './messaging.table.js';

export type NewNotification = typeof notifications.$inferInsert;

/** Inserts one outbox row unless (idempotency key, channel) exists; returns the new id or null. */
export async function insertIfAbsent(db: Db, row: NewNotification): Promise<string | null> {
  const inserted = await db
    .insert(notifications)
    .values(row)
    .onConflictDoNothing({ target: [notifications.idempotencyKey, notifications.channel] })
    .returning({ id: notifications.id });
  return inserted[0]?.id ?? null;
}

export async function listIdsByKey(db: Db, idempotencyKey: string): Promise<string[]> {
  const rows = await db
    .select({ id: notifications.id })
    .from(notifications)
    .where(eq(notifications.idempotencyKey, idempotencyKey))
    .orderBy(notifications.createdAt);
  return rows.map((r) => r.id);
}

export async function findIdByKeyAndChannel(
  db: Db,
  idempotencyKey: string,
  channel: NotificationRow['channel'],
) {
  const rows = await db
    .select({ id: notifications.id })
    .from(notifications)
    .where(and(eq(notifications.idempotencyKey, idempotencyKey), eq(notifications.channel, channel)));
  return rows[0]?.id ?? null;
}

export async function findById(db: Db, id: string): Promise<NotificationRow | null> {
  const rows = await db.select().from(notifications).where(eq(notifications.id, id));
  return rows[0] ?? null;
}

/** Locks the row so that only one delivery attempt can claim or settle it at a time. */
export async function findForUpdate(db: Db, id: string): Promise<NotificationRow | null> {
  const rows = await db.select().from(notifications).where(eq(notifications.id, id)).for('update');
  return rows[0] ?? null;
}

// Named writes of a delivery's states (no generic update(patch)).
const set = async (db: Db, id: string, values: Partial<NewNotification>) => {
  await db.update(notifications).set(values).where(eq(notifications.id, id));
};

/** Claimed for one attempt (committed before the provider is called). */
export const markSending = (db: Db, id: string, attempts: number, now: Date) =>
  set(db, id, { status: 'sending', claimedAt: now, attempts, updatedAt: now });

/** Delivered; `vars` is what the row keeps (an OTP's code is scrubbed). */
export const markSent = (
  db: Db,
  id: string,
  s: { providerMessageId: string | null; vars: Record<string, string> },
  now: Date,
) =>
  set(db, id, {
    status: 'sent',
    providerMessageId: s.providerMessageId,
    sentAt: now,
    error: null,
    claimedAt: null,
    vars: s.vars,
    updatedAt: now,
  });

/** Back in the queue for another attempt at `nextAttemptAt`. */
export const scheduleRetry = (
  db: Db,
  id: string,
  s: { error: string | null; nextAttemptAt: Date },
  now: Date,
) =>
  set(db, id, {
    status: 'queued',
    error: s.error,
    nextAttemptAt: s.nextAttemptAt,
    claimedAt: null,
    updatedAt: now,
  });

/** Failed for good (a fallback channel may follow as its own row). */
export const markFailed = (
  db: Db,
  id: string,
  s: { error: string | null; vars: Record<string, string> },
  now: Date,
) => set(db, id, { status: 'failed', error: s.error, claimedAt: null, vars: s.vars, updatedAt: now });

export type Cursor = { createdAt: Date; id: string };

/** A user's in-app notifications, newest first, keyset-paged. */
export async function listInApp(db: Db, userId: string, limit: number, before?: Cursor) {
  const page = before
    ? or(
        lt(notifications.createdAt, before.createdAt),
        and(eq(notifications.createdAt, before.createdAt), lt(notifications.id, before.id)),
      )
    : undefined;
  return db
    .select({
      id: notifications.id,
      templateId: notifications.templateId,
      title: notifications.title,
      body: notifications.body,
      createdAt: notifications.createdAt,
      readAt: notifications.readAt,
    })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), eq(notifications.channel, 'in_app'), page))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit);
}

/** A user's in-app notifications from around one of theirs on, oldest first (a reconnecting stream's backlog). */
export async function listInAppAfter(db: Db, userId: string, afterId: string, limit: number) {
  const anchor = db
    .select({ createdAt: notifications.createdAt })
    .from(notifications)
    .where(and(eq(notifications.id, afterId), eq(notifications.userId, userId)));
  return db
    .select({ id: notifications.id })
    .from(notifications)
    .where(
      and(
        eq(notifications.userId, userId),
        eq(notifications.channel, 'in_app'),
        // Commit order is not created_at order: a transaction that read its clock earlier may commit
        // later. A few seconds' overlap trades a possible repeat (clients dedupe by id) for no gap.
        sql`${notifications.createdAt} >= (${anchor}) - interval '5 seconds'`,
        sql`${notifications.id} <> ${afterId}::uuid`,
      ),
    )
    .orderBy(asc(notifications.createdAt), asc(notifications.id))
    .limit(limit);
}

export async function countUnread(db: Db, userId: string): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(notifications)
    .where(
      and(
        eq(notifications.userId, userId),
        eq(notifications.channel, 'in_app'),
        isNull(notifications.readAt),
      ),
    );
  return rows[0]?.n ?? 0;
}

/** Marks one of the user's in-app notifications read (first read time wins); null when it is not theirs. */
export async function markRead(db: Db, id: string, userId: string, now: Date) {
  const rows = await db
    .update(notifications)
    .set({
      readAt: sql`coalesce(${notifications.readAt}, ${now.toISOString()}::timestamptz)`,
      updatedAt: now,
    })
    .where(
      and(eq(notifications.id, id), eq(notifications.userId, userId), eq(notifications.channel, 'in_app')),
    )
    .returning({ id: notifications.id, readAt: notifications.readAt });
  return rows[0] ?? null;
}

export async function markAllRead(db: Db, userId: string, now: Date): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: now, updatedAt: now })
    .where(
      and(
        eq(notifications.userId, userId),
        eq(notifications.channel, 'in_app'),
        isNull(notifications.readAt),
      ),
    )
    .returning({ id: notifications.id });
  return rows.length;
}

/** Who the console channel stored messages for (the address the dev inbox lists them under), latest first. */
export async function listConsoleRecipients(db: Db, limit: number) {
  const to = sql<string>`case when ${notifications.channel} = 'email' then ${notifications.email} else coalesce(${notifications.phone}, ${notifications.email}) end`;
  return db
    .select({
      to,
      messages: sql<number>`count(*)::int`,
      lastAt: sql<Date>`max(${notifications.createdAt})`.mapWith(notifications.createdAt),
    })
    .from(notifications)
    .where(and(eq(notifications.provider, 'console'), sql`${to} is not null`))
    .groupBy(to)
    .orderBy(sql`max(${notifications.createdAt}) desc`)
    .limit(limit);
}

/** Messages the console channel stored for one phone number or email address, newest first. */
export async function listConsole(db: Db, to: string, limit: number) {
  return db
    .select({
      channel: notifications.channel,
      phone: notifications.phone,
      email: notifications.email,
      templateId: notifications.templateId,
      body: notifications.body,
      vars: notifications.vars,
      createdAt: notifications.createdAt,
    })
    .from(notifications)
    .where(
      and(
        eq(notifications.provider, 'console'),
        or(
          and(eq(notifications.phone, to), inArray(notifications.channel, ['whatsapp', 'sms', 'console'])),
          and(eq(notifications.email, to), inArray(notifications.channel, ['email', 'console'])),
        ),
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit);
}
