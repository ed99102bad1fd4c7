import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CountryCode } from 'libphonenumber-js';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import { Errors, problemSchema } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import {
  idParams,
  inboxQuery,
  inboxReply,
  listQuery,
  listReply,
  readAllReply,
  readReply,
  streamQuery,
  ticketReply,
} from './messaging.schemas.js';
import type { MessagingService } from './messaging.service.js';
import type { NotificationHub } from './messaging.stream.js';
import type { StreamTickets } from './messaging.tickets.js';

type RouteDeps = Pick<Platform, 'config' | 'log'> & {
  auth: AuthGuard;
  service: MessagingService;
  hub: NotificationHub;
  tickets: StreamTickets;
};

const problems = { 400: problemSchema, 401: problemSchema, 404: problemSchema };
const HEARTBEAT_MS = 25_000;

const toIso = <T extends { createdAt: Date; readAt: Date | null }>(n: T) => ({
  ...n,
  createdAt: n.createdAt.toISOString(),
  readAt: n.readAt?.toISOString() ?? null,
});

/** A phone number as the outbox stores it (E.164); emails and unparseable input pass through. */
function normaliseAddress(to: string, region: string): string {
  if (to.includes('@')) return to.toLowerCase();
  // A `+` in a query string arrives as a space when the client did not encode it.
  const digits = to.replace(/[\s()-]/g, '');
  const parsed =
    parsePhoneNumberFromString(digits, region as CountryCode) ??
    (digits.startsWith('+') ? undefined : parsePhoneNumberFromString(`+${digits}`));
  return parsed?.isValid() ? parsed.number : to;
}

type App = Parameters<FastifyPluginAsyncZod>[0];

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Enough of an address to tell test recipients apart on screen: `+9198•••••210`, `a•••@example.com`. */
export function maskAddress(to: string): string {
  const at = to.indexOf('@');
  if (at > 0) return `${to[0]}•••${to.slice(at)}`;
  return to.length <= 7
    ? '•'.repeat(to.length)
    : `${to.slice(0, 5)}${'•'.repeat(to.length - 8)}${to.slice(-3)}`;
}

/** The dev inbox's index page: recent recipients, newest first, each linking to its messages. */
function inboxIndexPage(recipients: Array<{ to: string; messages: number; lastAt: Date }>): string {
  const rows = recipients
    .map(
      (r) =>
        `<li><a href="/dev/inbox?to=${encodeURIComponent(r.to)}">${esc(maskAddress(r.to))}</a> — ${r.messages} message${r.messages === 1 ? '' : 's'}, last <time datetime="${r.lastAt.toISOString()}">${r.lastAt.toISOString()}</time></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Carebook dev inbox</title></head><body>
<h1>Dev inbox</h1>
<p>Messages the console channel kept (development only; production has no inbox). Open a recipient to see their messages as JSON, or ask for <code>/dev/inbox?to=PHONE_OR_EMAIL</code>.</p>
${rows ? `<ul>${rows}</ul>` : '<p>No messages yet. Ask for a sign-in code at <a href="/login">/login</a> and it appears here.</p>'}
</body></html>`;
}

export function messagingRoutes(deps: RouteDeps): FastifyPluginAsyncZod {
  const streams = new Set<ServerResponse>();
  return async (app) => {
    // Open streams would hold the server open; end them before it closes.
    app.addHook('preClose', async () => {
      for (const res of streams) res.end();
      streams.clear();
    });
    listRoutes(app, deps);
    streamRoute(app, deps, streams);
    if (deps.config.messaging.devInbox) inboxRoute(app, deps);
  };
}

function listRoutes(app: App, { auth, service }: RouteDeps) {
  app.get(
    '/api/notifications',
    {
      preHandler: auth.requireRole(),
      schema: {
        tags: ['notifications'],
        summary: "The signed-in user's in-app notifications, newest first",
        security: [{ bearer: [] }],
        querystring: listQuery,
        response: { 200: listReply, ...problems },
      },
    },
    async (req) => {
      const page = await service.listInApp(actorOf(req).userId, req.query);
      const items = page.items.map((n) => ({
        ...toIso(n),
        template: n.templateId,
        title: n.title ?? '',
        body: n.body ?? '',
      }));
      return { ...page, items };
    },
  );

  app.post(
    '/api/notifications/:id/read',
    {
      preHandler: auth.requireRole(),
      schema: {
        tags: ['notifications'],
        summary: 'Mark one in-app notification read',
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: readReply, ...problems },
      },
    },
    async (req) => {
      const r = await service.markRead(actorOf(req).userId, req.params.id);
      return { id: r.id, readAt: r.readAt.toISOString() };
    },
  );

  app.post(
    '/api/notifications/read-all',
    {
      preHandler: auth.requireRole(),
      schema: {
        tags: ['notifications'],
        summary: "Mark all the signed-in user's in-app notifications read",
        security: [{ bearer: [] }],
        response: { 200: readAllReply, ...problems },
      },
    },
    async (req) => service.markAllRead(actorOf(req).userId),
  );
}

function streamRoute(app: App, deps: RouteDeps, streams: Set<ServerResponse>) {
  app.post(
    '/api/notifications/stream-ticket',
    {
      preHandler: deps.auth.requireRole(),
      schema: {
        tags: ['notifications'],
        summary: 'A 60-second, single-use ticket to open the stream from a browser EventSource (`?ticket=`)',
        security: [{ bearer: [] }],
        response: { 200: ticketReply, ...problems },
      },
    },
    async (req) => {
      const { ticket, expiresAt } = await deps.tickets.issue(actorOf(req));
      return { ticket, expiresAt: expiresAt.toISOString() };
    },
  );

  const bearer = deps.auth.requireRole();
  app.get(
    '/api/notifications/stream',
    {
      // Either the usual bearer token, or a stream ticket for clients that cannot set headers.
      preHandler: async (req, reply) => {
        const { ticket } = req.query as { ticket?: string };
        if (!ticket) return bearer(req, reply);
        // A ticket opens one stream, and only while its session is live; the role is the user's now.
        const actor = await deps.auth.current(await deps.tickets.redeem(ticket));
        if (!actor) throw Errors.unauthorized('SESSION_REVOKED', 'This session has ended.');
        req.actor = actor;
      },
      schema: {
        tags: ['notifications'],
        summary: 'Live in-app notifications (Server-Sent Events)',
        description:
          'text/event-stream. First `event: ready` once the stream is live (after a reconnect with `Last-Event-ID`, the notifications written since then come before it; a few may repeat, dedupe by id), then one `event: notification` per new in-app notification (data: the same object as in GET /api/notifications), and a comment line every 25 s.',
        security: [{ bearer: [] }, {}],
        querystring: streamQuery,
        response: { 200: z.string().describe('text/event-stream'), ...problems },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const { userId } = actor;
      const { service, hub, log } = deps;
      const res = reply.raw;
      const write = (chunk: string) => {
        if (!res.writableEnded) res.write(chunk);
      };
      const push = async (id: string) => {
        const n = await service.getInApp(userId, id);
        if (n) write(`id: ${n.id}\nevent: notification\ndata: ${JSON.stringify(n)}\n\n`);
      };
      let open = false;
      let lost = false;
      // Subscribed (and LISTENing) before `ready`, so nothing committed after `ready` is missed.
      const unsubscribe = await hub.subscribe(userId, {
        onEvent: (e) => {
          push(e.id).catch((err) => log.warn({ err }, 'could not push a notification'));
        },
        // Events may have been missed: end the stream; the client reconnects with Last-Event-ID.
        onLost: () => {
          lost = true;
          if (open) res.end();
        },
      });
      // The stream ends with its session: logout, deactivation or sign-out elsewhere, on any instance.
      let ended = false;
      const unwatch = await hub
        .watchSession(actor.sessionId, () => {
          ended = true;
          if (open) res.end();
        })
        .catch((err) => {
          unsubscribe();
          throw err;
        });
      // Ended between the guard's check and the watch: nothing would tell us any more.
      if (!(await deps.auth.current(actor))) ended = true;
      const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      const cleanUp = () => {
        clearInterval(heartbeat);
        unsubscribe();
        unwatch();
        streams.delete(res);
      };
      res.on('close', cleanUp);
      reply.hijack();
      // The client may have left while we subscribed: its 'close' is already past.
      if (req.raw.destroyed || res.destroyed) return cleanUp();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': req.id,
      });
      streams.add(res);
      open = true;
      if (lost || ended) return void res.end();
      write('retry: 3000\n\n');
      // A reconnecting client names the last event it saw; it gets what it missed (an id may repeat, never a gap).
      const lastEventId = req.headers['last-event-id'];
      if (typeof lastEventId === 'string') {
        try {
          for (const id of await service.missedSince(userId, lastEventId.trim())) await push(id);
        } catch (err) {
          log.warn({ err }, 'could not replay missed notifications');
        }
      }
      write('event: ready\ndata: {}\n\n');
    },
  );
}

function inboxRoute(app: App, { service, config }: RouteDeps) {
  app.get(
    '/dev/inbox',
    {
      schema: {
        tags: ['development'],
        summary: 'Messages the console channel kept for a phone or email (not in production)',
        description:
          "With `to`: that address's messages as JSON, newest first. Without it: a readable HTML page listing the recent recipients (addresses partly masked, no message text), each linking to its messages.",
        querystring: inboxQuery,
        // 404 in production, where this route does not exist.
        errorCodes: { 404: ['NOT_FOUND'] },
        rawResponses: {
          200: {
            description: 'Without `to`: the index page',
            content: { 'text/html': { schema: { type: 'string' } } },
          },
        },
        response: { 200: inboxReply, 400: problemSchema },
      },
    },
    async (req, reply) => {
      if (req.query.to === undefined) {
        const recipients = await service.devInboxRecipients();
        // A string with an HTML media type is sent as it is (the JSON schema serializes only JSON).
        return reply.type('text/html; charset=utf-8').send(inboxIndexPage(recipients) as never);
      }
      const rows = await service.devInbox(normaliseAddress(req.query.to, config.defaultRegion));
      return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
    },
  );
}
