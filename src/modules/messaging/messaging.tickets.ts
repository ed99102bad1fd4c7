import { createHmac, randomUUID } from 'node:crypto';
import { lt } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { jwtVerify, SignJWT } from 'jose';
import { type Actor, ROLES, type Role } from '../../platform/auth.js';
import type { Clock } from '../../platform/clock.js';
import type { Pool } from '../../platform/db/pool.js';
import { Errors } from '../../platform/errors.js';
import { streamTicketUses } from './messaging.tickets.table.js';

const AUDIENCE = 'carebook:notifications-stream';
export const TICKET_TTL_SECONDS = 60;

const invalid = () =>
  Errors.unauthorized('STREAM_TICKET_INVALID', 'The stream ticket is not valid or has expired.');

/**
 * Short-lived tickets for `GET /api/notifications/stream?ticket=`: a browser's EventSource cannot
 * send an Authorization header, and an access token must not travel in a URL. A ticket is bound to
 * the stream only (own key and audience) and to its session, lives 60 seconds, and opens one stream:
 * its id is recorded when redeemed, so a copy (a URL in a log, a shared link) is worthless.
 */
export function createStreamTickets(jwtSecret: string, clock: Clock, pool: Pool) {
  const key = createHmac('sha256', jwtSecret).update('carebook:sse-ticket').digest();
  const db = drizzle(pool, { casing: 'snake_case' });

  async function verify(ticket: string): Promise<{ actor: Actor; jti: string; expiresAt: Date }> {
    try {
      const { payload } = await jwtVerify(ticket, key, {
        algorithms: ['HS256'],
        audience: AUDIENCE,
        currentDate: clock.now(),
      });
      const role = payload.role as Role;
      if (
        !payload.sub ||
        typeof payload.sid !== 'string' ||
        !ROLES.includes(role) ||
        !payload.jti ||
        !payload.exp
      )
        throw new Error('claims');
      return {
        actor: { userId: payload.sub, role, sessionId: payload.sid },
        jti: payload.jti,
        expiresAt: new Date(payload.exp * 1000),
      };
    } catch {
      throw invalid();
    }
  }

  return {
    async issue(actor: Actor): Promise<{ ticket: string; expiresAt: Date }> {
      const iat = Math.floor(clock.now().getTime() / 1000);
      const ticket = await new SignJWT({ role: actor.role, sid: actor.sessionId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(actor.userId)
        .setAudience(AUDIENCE)
        .setJti(randomUUID())
        .setIssuedAt(iat)
        .setExpirationTime(iat + TICKET_TTL_SECONDS)
        .sign(key);
      return { ticket, expiresAt: new Date((iat + TICKET_TTL_SECONDS) * 1000) };
    },

    /** The ticket's actor, once: a second redemption (on any instance) is a 401. */
    async redeem(ticket: string): Promise<Actor> {
      const { actor, jti, expiresAt } = await verify(ticket);
      const used = await db
        .insert(streamTicketUses)
        .values({ jti, expiresAt })
        .onConflictDoNothing()
        .returning({ jti: streamTicketUses.jti });
      if (used.length === 0)
        throw Errors.unauthorized('STREAM_TICKET_USED', 'This stream ticket was already used.');
      // Expired tickets cannot be redeemed anyway: their rows only need to outlive them.
      await db
        .delete(streamTicketUses)
        .where(lt(streamTicketUses.expiresAt, new Date(clock.now().getTime() - 60_000)));
      return actor;
    },
  };
}

export type StreamTickets = ReturnType<typeof createStreamTickets>;
