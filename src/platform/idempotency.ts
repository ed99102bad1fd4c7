import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Clock } from './clock.js';
import type { Pool } from './db/pool.js';
import { AppError, Errors } from './errors.js';

/**
 * Idempotency-Key for POSTs that move money (Stripe's convention). A route opts in with one line,
 * `config: { idempotent: true }`: the same caller sending the same key to the same route with the same
 * body gets the first reply again (`Idempotent-Replayed: true`), never a second hold, order or refund;
 * the same key with another body is a 409 IDEMPOTENCY_KEY_REUSED; while the first request is still
 * running, a 409 IDEMPOTENCY_KEY_IN_USE. 5xx replies are not kept, so a retry runs again. Keys are kept
 * for KEY_TTL_HOURS, after which the key may be used afresh.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** Accept an Idempotency-Key header on this route (see platform/idempotency.ts). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency?: { scope: string; route: string; key: string };
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const KEY_TTL_HOURS = 24;
const ABANDONED_AFTER_MS = 5 * 60_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The body's fingerprint: the same JSON in another key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}

export const requestHash = (method: string, path: string, body: unknown) =>
  createHash('sha256')
    .update(`${method} ${path}\n${canonical(body)}`)
    .digest('hex');

type Saved = {
  request_hash: string;
  status: number | null;
  content_type: string | null;
  body: string | null;
};

export function installIdempotency(app: FastifyInstance, deps: { pool: Pool; clock: Clock }): void {
  const { pool, clock } = deps;

  async function claim(req: FastifyRequest, reply: FastifyReply) {
    const header = req.headers[IDEMPOTENCY_HEADER];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header.join(',') : header;
    if (!KEY_PATTERN.test(key))
      throw Errors.badRequest(
        'IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be 1 to 255 visible ASCII characters.',
      );
    const scope = req.actor?.userId ?? 'anonymous';
    const route = `${req.method} ${req.routeOptions.url}`;
    const hash = requestHash(req.method, req.url.split('?')[0] ?? '', req.body);
    const now = clock.now();
    const expired = new Date(now.getTime() - KEY_TTL_HOURS * 3_600_000);
    // A first request that never answered (the process died mid-request) stops blocking its key.
    const abandoned = new Date(now.getTime() - ABANDONED_AFTER_MS);
    // A fresh claim, or one over an expired or abandoned row; otherwise the row another request wrote.
    const claimed = await pool.query(
      `insert into idempotency_keys (scope, route, key, request_hash, created_at)
       values ($1, $2, $3, $4, $5)
       on conflict (scope, route, key) do update
         set request_hash = excluded.request_hash, created_at = excluded.created_at,
             status = null, content_type = null, body = null, completed_at = null
         where idempotency_keys.created_at < $6
            or (idempotency_keys.status is null and idempotency_keys.created_at < $7)
       returning key`,
      [scope, route, key, hash, now, expired, abandoned],
    );
    if (claimed.rowCount) {
      req.idempotency = { scope, route, key };
      return;
    }
    const { rows } = await pool.query<Saved>(
      'select request_hash, status, content_type, body from idempotency_keys where scope = $1 and route = $2 and key = $3',
      [scope, route, key],
    );
    const saved = rows[0];
    if (!saved)
      throw Errors.conflict('IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is running.');
    if (saved.request_hash !== hash)
      throw Errors.conflict(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used with another request; use a new key for a new request.',
      );
    if (saved.status === null)
      throw new AppError(
        409,
        'IDEMPOTENCY_KEY_IN_USE',
        'A request with this Idempotency-Key is still running.',
        {
          headers: { 'retry-after': '1' },
        },
      );
    reply.header('idempotent-replayed', 'true');
    if (saved.content_type) reply.type(saved.content_type);
    // Sent as stored: the route's serializer must not run over an already serialized body.
    return reply
      .status(saved.status)
      .serializer((p: unknown) => p as string)
      .send(saved.body ?? '');
  }

  async function record(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const claimed = req.idempotency;
    if (!claimed) return payload;
    req.idempotency = undefined;
    const args = [claimed.scope, claimed.route, claimed.key];
    if (
      reply.statusCode >= 500 ||
      (typeof payload !== 'string' && payload !== null && payload !== undefined)
    ) {
      await pool.query('delete from idempotency_keys where scope = $1 and route = $2 and key = $3', args);
      return payload;
    }
    await pool.query(
      `update idempotency_keys set status = $4, content_type = $5, body = $6, completed_at = $7
        where scope = $1 and route = $2 and key = $3`,
      [...args, reply.statusCode, String(reply.getHeader('content-type') ?? ''), payload ?? '', clock.now()],
    );
    return payload;
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.config?.idempotent) return;
    const list = (h: unknown) => (h ? (Array.isArray(h) ? h : [h]) : []);
    route.preHandler = [...list(route.preHandler), claim] as RouteOptions['preHandler'];
    route.onSend = [...list(route.onSend), record] as RouteOptions['onSend'];
  });
}
