import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../../platform/errors.js';

/** The refresh token's HttpOnly cookie (contracts.md): only the refresh and logout endpoints ever see it. */
export const REFRESH_COOKIE = 'carebook_refresh';
export const REFRESH_COOKIE_PATH = '/api/patient-auth';

export type CookieOptions = { secure: boolean };

export function setRefreshCookie(
  reply: FastifyReply,
  opts: CookieOptions,
  token: string,
  expiresAt: Date,
  now: Date,
): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
  reply.setCookie(REFRESH_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    maxAge,
    secure: opts.secure,
  });
}

export function clearRefreshCookie(reply: FastifyReply, opts: CookieOptions): void {
  reply.setCookie(REFRESH_COOKIE, '', {
    httpOnly: true,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    maxAge: 0,
    secure: opts.secure,
  });
}

/** The body's token, else the cookie's; neither is a 401. */
export function refreshTokenOf(req: FastifyRequest, fromBody: string | undefined): string {
  const token = fromBody || req.cookies?.[REFRESH_COOKIE];
  if (!token) throw Errors.unauthorized('REFRESH_TOKEN_MISSING', 'No refresh token was sent.');
  return token;
}
