import { drizzle } from 'drizzle-orm/node-postgres';
import type { Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { deliverJob, IN_APP_CHANNEL } from './messaging.jobs.js';
import * as repo from './messaging.repository.js';
import { type Configured, pickChannel, providerFor, type Recipient } from './messaging.rules.js';
import {
  type Channel,
  checkVars,
  isSensitive,
  isTemplateId,
  openVars,
  outboxKey,
  redactVars,
  render,
  sealVars,
  type TemplateId,
  type TemplateVars,
  templateRoutes,
  usableChains,
} from './messaging.templates.js';

export type NotifyRequest<K extends TemplateId = TemplateId> = {
  template: K;
  vars: TemplateVars[K];
  recipient: Recipient;
  /** Unique per logical message, e.g. `appointment:${id}:confirmed:patient`. */
  idempotencyKey: string;
  /** One fallback chain replacing the template's own routes. */
  channels?: Channel[];
};

/**
 * Identity's lookup, so callers may address a user by id alone (messaging is built before identity).
 * It gets the caller's transaction so that it can read on that connection instead of a second one.
 */
export type UserLookup = (
  userId: string,
  tx: Tx,
) => Promise<{ phone: string | null; email: string | null } | null>;

export type MessagingDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'uow' | 'pool'> & {
  lookupUser: UserLookup;
};

export const configuredProviders = (config: Platform['config']): Configured => ({
  whatsapp: Boolean(config.messaging.gallabox),
  sms: Boolean(config.messaging.twilio),
  email: Boolean(config.messaging.smtp),
});

const E164 = /^\+[1-9][0-9]{6,14}$/;

/** Writes one outbox row for a channel; console and in-app rows are final at once, the others queue a delivery job. */
export async function createRow(
  deps: MessagingDeps,
  tx: Tx,
  req: {
    template: TemplateId;
    vars: Record<string, string>;
    recipient: Recipient;
    idempotencyKey: string;
    channel: Channel;
    fallback: Channel[];
    now: Date;
  },
): Promise<string> {
  const { template, recipient, channel, now } = req;
  const provider = providerFor(channel, configuredProviders(deps.config));
  // Stored text never holds a secret variable (an OTP's code): bodies are rendered with it masked.
  const rendered = render(template, redactVars(template, req.vars) as TemplateVars[TemplateId]);
  const final = provider === 'console' || provider === 'in_app';
  const body =
    provider === 'in_app'
      ? rendered.inApp.body
      : provider === 'console'
        ? channel === 'email'
          ? `${rendered.email.subject}\n\n${rendered.email.text}`
          : rendered.sms
        : null;
  const id = await repo.insertIfAbsent(tx.db, {
    userId: recipient.userId ?? null,
    phone: recipient.phone ?? null,
    email: recipient.email ?? null,
    channel,
    provider,
    templateId: template,
    // Secret variables are stored sealed; the dev inbox (development only) opens a console row's.
    vars:
      provider === 'in_app' && isSensitive(template)
        ? {}
        : sealVars(template, req.vars, outboxKey(deps.config)),
    title: provider === 'in_app' ? rendered.inApp.title : null,
    body,
    status: final ? 'sent' : 'queued',
    fallbackChannels: final ? [] : req.fallback,
    idempotencyKey: req.idempotencyKey,
    sentAt: final ? now : null,
    createdAt: now,
    updatedAt: now,
  });
  if (!id) {
    // Someone else committed this (key, channel) first: theirs is the message.
    const existing = await repo.findIdByKeyAndChannel(tx.db, req.idempotencyKey, channel);
    if (!existing) throw new Error(`notification ${req.idempotencyKey}/${channel} vanished`);
    return existing;
  }
  if (provider === 'in_app') {
    // NOTIFY is transactional: listeners hear it only if this transaction commits.
    await tx.query('select pg_notify($1, $2)', [
      IN_APP_CHANNEL,
      JSON.stringify({ id, userId: recipient.userId }),
    ]);
  } else if (provider === 'console') {
    if (deps.config.isProduction)
      deps.log.warn(
        { notificationId: id, template, channel },
        'no provider configured: message kept on console',
      );
    else deps.log.info({ notificationId: id, template, channel }, 'message stored for /dev/inbox');
  } else {
    await tx.enqueue(deliverJob, { notificationId: id });
  }
  return id;
}

export function createMessagingService(deps: MessagingDeps) {
  /**
   * Asks for a message inside the caller's transaction: rows and delivery jobs commit or roll back
   * with the caller's state change. Repeating an idempotency key returns the first call's rows.
   */
  async function notify<K extends TemplateId>(
    tx: Tx,
    req: NotifyRequest<K>,
  ): Promise<{ notificationIds: string[] }> {
    const now = deps.clock.now();
    const vars = checkVars(req.template, req.vars);
    const key = req.idempotencyKey.trim();
    if (!key || key.length > 300)
      throw Errors.badRequest('IDEMPOTENCY_KEY_INVALID', 'An idempotency key is required.');
    const recipient = normaliseRecipient(await withUserAddresses(tx, req.recipient));
    const existing = await repo.listIdsByKey(tx.db, key);
    if (existing.length) return { notificationIds: existing };
    const routes = usableChains(
      req.channels?.length ? [req.channels] : templateRoutes(req.template),
      configuredProviders(deps.config),
      deps.config.messaging.devInbox,
    );
    const notificationIds: string[] = [];
    for (const chain of routes) {
      const picked = pickChannel(chain, recipient);
      if (!picked) continue;
      notificationIds.push(
        await createRow(deps, tx, {
          template: req.template,
          vars,
          recipient,
          idempotencyKey: key,
          channel: picked.channel,
          fallback: picked.fallback,
          now,
        }),
      );
    }
    return { notificationIds };
  }

  /** Addresses the caller did not give are taken from the user's record; given ones win. */
  async function withUserAddresses(tx: Tx, r: Recipient): Promise<Recipient> {
    if (!r.userId || (r.phone && r.email)) return r;
    const user = await deps.lookupUser(r.userId, tx);
    return { ...r, phone: r.phone || user?.phone || undefined, email: r.email || user?.email || undefined };
  }

  async function listInApp(userId: string, opts: { limit: number; cursor?: string }) {
    const before = opts.cursor ? decodeCursor(opts.cursor) : undefined;
    return deps.uow(async (tx) => {
      const rows = await repo.listInApp(tx.db, userId, opts.limit + 1, before);
      const items = rows.slice(0, opts.limit);
      const last = items.at(-1);
      const nextCursor = rows.length > opts.limit && last ? encodeCursor(last) : null;
      return { items, nextCursor, unreadCount: await repo.countUnread(tx.db, userId) };
    });
  }

  async function markRead(userId: string, notificationId: string) {
    const now = deps.clock.now();
    const row = await deps.uow((tx) => repo.markRead(tx.db, notificationId, userId, now));
    if (!row) throw Errors.notFound('Notification', notificationId);
    return { id: row.id, readAt: row.readAt! };
  }

  async function markAllRead(userId: string) {
    const now = deps.clock.now();
    return { updated: await deps.uow((tx) => repo.markAllRead(tx.db, userId, now)) };
  }

  /** The console channel's messages for one address (development only; routes hide it in production). */
  async function devInbox(to: string) {
    const rows = await deps.uow((tx) => repo.listConsole(tx.db, to, 50));
    return rows.map((r) => ({
      channel: r.channel,
      to: r.channel === 'email' ? (r.email ?? '') : (r.phone ?? r.email ?? ''),
      template: r.templateId,
      body: devInboxBody(deps, r),
      createdAt: r.createdAt,
    }));
  }

  /** One of the user's in-app notifications as the list and the stream show it; null when it is not theirs. */
  async function getInApp(userId: string, id: string) {
    const row = await repo.findById(drizzle(deps.pool), id);
    if (!row || row.userId !== userId || row.channel !== 'in_app') return null;
    return {
      id: row.id,
      template: row.templateId,
      title: row.title ?? '',
      body: row.body ?? '',
      createdAt: row.createdAt.toISOString(),
      readAt: row.readAt?.toISOString() ?? null,
    };
  }

  /** Ids of the user's in-app notifications after `lastId` (SSE `Last-Event-ID`), oldest first. */
  async function missedSince(userId: string, lastId: string): Promise<string[]> {
    if (!/^[0-9a-f-]{36}$/i.test(lastId)) return [];
    const rows = await repo.listInAppAfter(drizzle(deps.pool), userId, lastId, 100);
    return rows.map((r) => r.id);
  }

  /** One notification row, for callers and tests that follow a message's delivery. */
  const getNotification = (id: string) => deps.uow((tx) => repo.findById(tx.db, id));

  /** The dev inbox's index: recent recipients, never a message's text. */
  const devInboxRecipients = () => deps.uow((tx) => repo.listConsoleRecipients(tx.db, 50));

  return {
    notify,
    listInApp,
    getInApp,
    missedSince,
    markRead,
    markAllRead,
    devInbox,
    devInboxRecipients,
    getNotification,
  };
}

export type MessagingService = ReturnType<typeof createMessagingService>;

/** The stored body has secrets masked; the dev inbox (never in production) shows them, opened from the sealed variables. */
function devInboxBody(
  deps: MessagingDeps,
  r: { templateId: string; body: string | null; channel: string; vars: Record<string, string> },
): string {
  if (!deps.config.messaging.devInbox || !isTemplateId(r.templateId) || !isSensitive(r.templateId))
    return r.body ?? '';
  const vars = openVars(r.templateId, r.vars, outboxKey(deps.config)) as TemplateVars[TemplateId];
  const rendered = render(r.templateId, vars);
  return r.channel === 'email' ? `${rendered.email.subject}\n\n${rendered.email.text}` : rendered.sms;
}

function normaliseRecipient(r: Recipient): Recipient {
  const phone = r.phone?.trim() || undefined;
  if (phone && !E164.test(phone))
    throw Errors.badRequest('PHONE_INVALID', 'The recipient phone number must be in E.164 form.');
  const email = r.email?.trim() || undefined;
  if (email && (email.length > 254 || !email.includes('@')))
    throw Errors.badRequest('EMAIL_INVALID', 'The recipient email address is not valid.');
  return { userId: r.userId || undefined, phone, email };
}

const encodeCursor = (c: { createdAt: Date; id: string }) =>
  Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString('base64url');

function decodeCursor(cursor: string): repo.Cursor {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(createdAt.getTime()))
    throw Errors.badRequest('CURSOR_INVALID', 'The page cursor is not valid.');
  return { createdAt, id };
}
