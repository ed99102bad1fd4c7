import cookie from '@fastify/cookie';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestMetaOf } from '../../platform/audit.js';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import type { Clock } from '../../platform/clock.js';
import { Errors, problemSchema } from '../../platform/errors.js';
import {
  type CookieOptions,
  clearRefreshCookie,
  REFRESH_COOKIE,
  refreshTokenOf,
  setRefreshCookie,
} from './identity.cookies.js';
import type { OtpService } from './identity.otp.js';
import type { OtpPurpose } from './identity.rules.js';
import {
  loginReply,
  refreshBody,
  refreshReply,
  sendOtpBody,
  sendOtpReply,
  userReply,
  verifyOtpBody,
} from './identity.schemas.js';
import type { IdentityService } from './identity.service.js';
import type { SessionService } from './identity.sessions.js';

export type AuthRouteDeps = {
  auth: AuthGuard;
  otp: OtpService;
  sessions: SessionService;
  users: IdentityService;
  clock: Clock;
  cookies: CookieOptions;
};

const p = problemSchema;
/** Unauthenticated bodies are a phone number or a code: a few hundred bytes, never a mebibyte. */
export const SMALL_BODY_LIMIT = 4096;
const COOKIE_NOTE = ` Also sets the \`${REFRESH_COOKIE}\` cookie (HttpOnly, SameSite=Strict, Path=/api/patient-auth, Max-Age = what is left of the login's absolute lifetime: 30 days for patients, 12 hours for the team).`;

/** OTP login for patients (`/api/patient-auth`) and for the clinic's team (`/api/auth`), refresh and logout. */
export function authRoutes(deps: AuthRouteDeps): FastifyPluginAsyncZod {
  const { otp, sessions } = deps;
  return async (app) => {
    await app.register(cookie);
    const flows: Array<{ prefix: string; purpose: OtpPurpose; who: string; tag: string }> = [
      { prefix: '/api/patient-auth', purpose: 'patient_login', who: 'a patient', tag: 'patient-auth' },
      { prefix: '/api/auth', purpose: 'staff_login', who: 'a clinician, staff member or admin', tag: 'auth' },
    ];
    for (const { prefix, purpose, who, tag } of flows) {
      app.post(
        `${prefix}/send-otp`,
        {
          bodyLimit: SMALL_BODY_LIMIT,
          schema: {
            tags: [tag],
            summary: `Send a 6-digit login code to ${who} (WhatsApp, falling back to SMS)`,
            description:
              purpose === 'staff_login'
                ? "An unknown number gets the same reply and no code. 429 `OTP_COOLDOWN` within 30 s of the last code; 429 `RATE_LIMITED` past the hourly limits per phone and per IP (`Retry-After` says when). Counted apart from the patient flow: asking here for a patient's number never uses up their codes."
                : 'A new number becomes a patient at verification. 429 `OTP_COOLDOWN` within 30 s of the last code; 429 `RATE_LIMITED` past the hourly limits per phone and per IP (`Retry-After` says when).',
            body: sendOtpBody,
            response: { 200: sendOtpReply, 400: p, 429: p },
          },
        },
        async (req) => otp.sendOtp(purpose, req.body.phone, requestMetaOf(req)),
      );
      app.post(
        `${prefix}/verify-otp`,
        {
          bodyLimit: SMALL_BODY_LIMIT,
          schema: {
            tags: [tag],
            summary: `Verify ${who}'s login code and sign in`,
            description: `A code is valid 10 minutes, once. 400 \`OTP_INVALID\` for a wrong or used code (the fifth wrong try locks it), 400 \`OTP_EXPIRED\`, 429 \`OTP_LOCKED\`.${purpose === 'staff_login' ? ' An admin with a second factor also sends `totp`: 401 `TOTP_REQUIRED` without it (the code is not used up), 400 `TOTP_INVALID` for a wrong one (counts as a wrong try).' : ''}${COOKIE_NOTE}`,
            body: verifyOtpBody,
            response: { 200: loginReply, 400: p, 401: p, 403: p, 429: p },
          },
        },
        async (req, reply) => {
          const result = await otp.verifyOtp(purpose, req.body, requestMetaOf(req));
          setRefreshCookie(
            reply,
            deps.cookies,
            result.refreshToken,
            result.refreshExpiresAt,
            deps.clock.now(),
          );
          return result;
        },
      );
      app.post(
        `${prefix}/refresh-token`,
        {
          bodyLimit: SMALL_BODY_LIMIT,
          schema: {
            tags: [tag],
            summary: 'Trade a refresh token for a new access token and a new refresh token',
            description: `Each refresh token works once; presenting one that was already used revokes every session of that login (401 \`TOKEN_REUSED\`), except within 10 seconds of its use (a second tab), which gets the same new refresh token. A login ends for good 30 days (patients) or 12 hours (the team) after sign-in. The token comes from the body or, with \`{}\`, from the cookie; neither is a 401.${COOKIE_NOTE}`,
            body: refreshBody,
            response: { 200: refreshReply, 400: p, 401: p },
          },
        },
        async (req, reply) => {
          const pair = await sessions.refresh(refreshTokenOf(req, req.body.refreshToken), requestMetaOf(req));
          setRefreshCookie(reply, deps.cookies, pair.refreshToken, pair.refreshExpiresAt, deps.clock.now());
          return pair;
        },
      );
      app.post(
        `${prefix}/logout`,
        {
          bodyLimit: SMALL_BODY_LIMIT,
          schema: {
            tags: [tag],
            summary: 'Sign out: ends the login this refresh token belongs to',
            description: `Its access tokens and live streams stop at once, and the \`${REFRESH_COOKIE}\` cookie is cleared. An unknown token changes nothing. The token comes from the body or, with \`{}\`, from the cookie; neither is a 401.`,
            body: refreshBody,
            response: { 204: z.undefined().describe('Signed out'), 400: p, 401: p },
          },
        },
        async (req, reply) => {
          await sessions.logout(refreshTokenOf(req, req.body.refreshToken), requestMetaOf(req));
          clearRefreshCookie(reply, deps.cookies);
          return reply.status(204).send();
        },
      );
    }

    app.get(
      '/api/auth/me',
      {
        preHandler: deps.auth.requireRole(),
        schema: {
          tags: ['auth'],
          summary: 'The signed-in user',
          security: [{ bearer: [] }],
          response: { 200: userReply, 401: p },
        },
      },
      async (req) => {
        const user = await deps.users.getUser(actorOf(req).userId);
        if (!user) throw Errors.unauthorized();
        return user;
      },
    );
  };
}
