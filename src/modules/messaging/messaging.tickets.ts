import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { type Actor, ROLES, type Role } from '../../platform/auth.js';
import type { Clock } from '../../platform/clock.js';
import { Errors } from '../../platform/errors.js';

const AUDIENCE = 'carebook:notifications-stream';
export const TICKET_TTL_SECONDS = 60;

/**
 * Short-lived tickets for `GET /api/notifications/stream?ticket=`: a browser's EventSource cannot
 * send an Authorization header, and an access token must not travel in a URL. A ticket is bound to
 * the stream only (own key and audience) and lives 60 seconds.
 */
export function createStreamTickets(jwtSecret: string, clock: Clock) {
  const key = createHmac('sha256', jwtSecret).update('carebook:sse-ticket').digest();
  return {
    async issue(actor: Actor): Promise<{ ticket: string; expiresAt: Date }> {
      const iat = Math.floor(clock.now().getTime() / 1000);
      const ticket = await new SignJWT({ role: actor.role, sid: actor.sessionId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(actor.userId)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + TICKET_TTL_SECONDS)
        .sign(key);
      return { ticket, expiresAt: new Date((iat + TICKET_TTL_SECONDS) * 1000) };
    },
    async verify(ticket: string): Promise<Actor> {
      try {
        const { payload } = await jwtVerify(ticket, key, {
          algorithms: ['HS256'],
          audience: AUDIENCE,
          currentDate: clock.now(),
        });
        const role = payload.role as Role;
        if (!payload.sub || typeof payload.sid !== 'string' || !ROLES.includes(role))
          throw new Error('claims');
        return { userId: payload.sub, role, sessionId: payload.sid };
      } catch {
        throw Errors.unauthorized('STREAM_TICKET_INVALID', 'The stream ticket is not valid or has expired.');
      }
    },
  };
}

export type StreamTickets = ReturnType<typeof createStreamTickets>;
