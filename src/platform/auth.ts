import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt, decodeProtectedHeader, type JWTPayload, SignJWT } from 'jose';
import type { Clock } from './clock.js';
import { Errors } from './errors.js';

export const ROLES = ['patient', 'clinician', 'staff', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from a verified access token. */
export type Actor = { userId: string; role: Role; sessionId: string };

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

export type TokenSigner = ReturnType<typeof createTokenSigner>;

const invalidToken = () => Errors.unauthorized('TOKEN_INVALID', 'The access token is not valid.');

/**
 * Access tokens are HS256 JWTs: `sub` user id, `role`, `sid` auth session, issuer `carebook`. Expiry
 * is checked against the injected clock so tests can move time past the 15 minutes. jose signs them
 * and parses them; the signature is checked with node:crypto's synchronous HMAC, because jose's
 * WebCrypto check cost every authenticated request 0.4 ms of the API's CPU (issue 12).
 */
export function createTokenSigner(secret: string, clock: Clock) {
  const key = new TextEncoder().encode(secret);
  /** Whether `token` is `header.payload.signature` with an HS256 header and our signature over the first two. */
  function signedByUs(token: string): boolean {
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    const header = decodeProtectedHeader(token);
    if (header.alg !== 'HS256' || header.crit !== undefined) return false;
    const expected = Buffer.from(
      createHmac('sha256', key).update(`${parts[0]}.${parts[1]}`).digest('base64url'),
    );
    const given = Buffer.from(parts[2]!);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  return {
    async sign(actor: Actor): Promise<string> {
      const iat = Math.floor(clock.now().getTime() / 1000);
      return new SignJWT({ role: actor.role, sid: actor.sessionId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(actor.userId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
        .setIssuer('carebook')
        .sign(key);
    },
    async verify(token: string): Promise<Actor> {
      let payload: JWTPayload;
      try {
        if (!signedByUs(token)) throw invalidToken();
        payload = decodeJwt(token);
      } catch {
        throw invalidToken();
      }
      const role = payload.role as Role;
      const { sub, sid, exp, iss } = payload;
      if (
        iss !== 'carebook' ||
        typeof sub !== 'string' ||
        typeof sid !== 'string' ||
        !ROLES.includes(role) ||
        typeof exp !== 'number'
      )
        throw invalidToken();
      if (exp * 1000 <= clock.now().getTime())
        throw Errors.unauthorized('TOKEN_EXPIRED', 'The access token has expired.');
      return { userId: sub, role, sessionId: sid };
    },
  };
}

/**
 * Finds the live session behind a token and who it belongs to now; identity supplies it so that a
 * revoked session's access tokens stop working before they expire, and a role change or
 * deactivation counts at once. Null when the session is not live or not the token subject's.
 */
export type SessionCheck = (actor: Actor) => Promise<{ role: Role } | null>;

const trustToken: SessionCheck = async (actor) => ({ role: actor.role });

export function createAuthGuard(signer: TokenSigner, sessionCheck: SessionCheck = trustToken) {
  /** The actor with the role the database holds now, or null when its session has ended. */
  async function current(actor: Actor): Promise<Actor | null> {
    const live = await sessionCheck(actor);
    return live ? { ...actor, role: live.role } : null;
  }
  async function authenticate(req: FastifyRequest): Promise<Actor> {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) throw Errors.unauthorized();
    const actor = await current(await signer.verify(token));
    if (!actor) throw Errors.unauthorized('SESSION_REVOKED', 'This session has ended.');
    req.actor = actor;
    return actor;
  }
  /** Hook: any signed-in user whose role is one of `roles` (any role when empty). */
  const requireRole = (...roles: Role[]) =>
    markGuard(async (req: FastifyRequest, _reply: FastifyReply) => {
      const actor = await authenticate(req);
      if (roles.length && !roles.includes(actor.role)) throw Errors.forbidden();
    }, roles);
  return { authenticate, requireRole, current };
}
export type AuthGuard = ReturnType<typeof createAuthGuard>;

const GUARD = Symbol('carebook.authGuard');

/**
 * Marks a hook as an auth guard for `roles` (empty: any signed-in user). Marked hooks run first, before
 * the body is validated (401 before 400), and mark the route as protected in the OpenAPI document.
 */
export function markGuard<T extends object>(hook: T, roles: readonly Role[] = []): T {
  return Object.assign(hook, { [GUARD]: roles });
}

/** The roles of a hook marked by `markGuard`; undefined for any other hook. */
export const guardRoles = (hook: unknown): readonly Role[] | undefined =>
  typeof hook === 'function' ? (hook as { [GUARD]?: readonly Role[] })[GUARD] : undefined;

/** The signed-in actor of a request that passed `requireRole`. */
export const actorOf = (req: FastifyRequest): Actor => {
  if (!req.actor) throw Errors.unauthorized();
  return req.actor;
};
