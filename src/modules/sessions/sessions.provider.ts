import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.js';
import { AppError, Errors, problemSchema } from '../../platform/errors.js';
import { sessionSchema, toSessionView } from './sessions.schemas.js';
import type { SessionsService } from './sessions.service.js';

export const PROVIDER_TIMESTAMP_HEADER = 'x-call-timestamp';
export const PROVIDER_SIGNATURE_HEADER = 'x-call-signature';
/** A signed callback older (or newer) than this is a replay or a skewed clock: refused. */
export const PROVIDER_TOLERANCE_SECONDS = 300;

const forged = (why: string) =>
  new AppError(401, 'CALL_SIGNATURE_INVALID', `The callback signature is invalid: ${why}.`);

/** `v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, several comma-separated during a secret rotation. */
export function signProviderCallback(secret: string, timestamp: number, raw: Buffer | string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest('hex')}`;
}

/** Checks the call provider's signature over the exact bytes sent and the replay window; throws 401. */
export function verifyProviderCallback(
  raw: Buffer,
  headers: IncomingHttpHeaders,
  secret: string,
  now: Date,
): void {
  const ts = headers[PROVIDER_TIMESTAMP_HEADER];
  const sig = headers[PROVIDER_SIGNATURE_HEADER];
  if (typeof ts !== 'string' || !/^\d{1,12}$/.test(ts)) throw forged('missing or malformed timestamp');
  if (typeof sig !== 'string' || sig === '') throw forged('missing signature');
  if (Math.abs(now.getTime() / 1000 - Number(ts)) > PROVIDER_TOLERANCE_SECONDS)
    throw forged('timestamp outside the replay window');
  const expected = Buffer.from(signProviderCallback(secret, Number(ts), raw).slice(3), 'hex');
  const ok = sig
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'hex'))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  if (!ok) throw forged('no matching v1 signature');
}

const callbackBody = z.object({ sessionId: z.uuid() });

/**
 * The call provider reports a hangup. Its own scope keeps every body as raw bytes (the signature is
 * over them); nothing is parsed before the signature holds. Idempotent: the call ends once, whoever
 * comes first (a party's hangup or this callback); a replay answers the ended session.
 */
export function providerCallbackRoutes(deps: {
  service: SessionsService;
  clock: Clock;
  secret: string | null;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.post(
      '/api/sessions/call/provider/hangup',
      {
        schema: {
          tags: ['sessions'],
          summary: "The call provider's hangup callback (signed; ends the call once)",
          description: `Headers \`${PROVIDER_TIMESTAMP_HEADER}\` (unix seconds) and \`${PROVIDER_SIGNATURE_HEADER}\` (\`v1=\` hex HMAC-SHA256 of \`<timestamp>.<raw body>\` with CALL_PROVIDER_WEBHOOK_SECRET; several comma-separated while rotating). Body \`{"sessionId": "<uuid>"}\`. Outside ${PROVIDER_TOLERANCE_SECONDS} s, forged or unsigned: 401 and nothing changes; without a configured secret every callback is 401 CALL_CALLBACK_NOT_CONFIGURED.`,
          response: {
            200: z.object({ received: z.literal(true), session: sessionSchema }),
            400: problemSchema,
            401: problemSchema,
            404: problemSchema,
          },
        },
      },
      async (req) => {
        if (!deps.secret)
          // Nothing can be verified, so nothing is accepted (a 4xx: the caller cannot be trusted, we are not down).
          throw new AppError(
            401,
            'CALL_CALLBACK_NOT_CONFIGURED',
            'Call provider callbacks are not accepted here (CALL_PROVIDER_WEBHOOK_SECRET is not set).',
          );
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        verifyProviderCallback(raw, req.headers, deps.secret, deps.clock.now());
        let json: unknown;
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          throw Errors.badRequest('CALLBACK_BODY_INVALID', 'The callback body is not JSON.');
        }
        const body = callbackBody.safeParse(json);
        if (!body.success)
          throw Errors.validation('The callback body needs a sessionId (uuid).', [
            { path: 'body.sessionId', message: 'must be a uuid' },
          ]);
        const session = await deps.service.hangup(null, body.data.sessionId);
        return { received: true as const, session: toSessionView(session) };
      },
    );
  };
}
