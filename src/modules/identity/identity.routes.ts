import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestMetaOf } from '../../platform/audit.js';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import { Errors, problemSchema } from '../../platform/errors.js';
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
};

const p = problemSchema;

/** OTP login for patients (`/api/patient-auth`) and for the clinic's team (`/api/auth`), refresh and logout. */
export function authRoutes(deps: AuthRouteDeps): FastifyPluginAsyncZod {
  const { otp, sessions } = deps;
  return async (app) => {
    const flows: Array<{ prefix: string; purpose: OtpPurpose; who: string; tag: string }> = [
      { prefix: '/api/patient-auth', purpose: 'patient_login', who: 'a patient', tag: 'patient-auth' },
      { prefix: '/api/auth', purpose: 'staff_login', who: 'a clinician, staff member or admin', tag: 'auth' },
    ];
    for (const { prefix, purpose, who, tag } of flows) {
      app.post(
        `${prefix}/send-otp`,
        {
          schema: {
            tags: [tag],
            summary: `Send a 6-digit login code to ${who} (WhatsApp, falling back to SMS)`,
            description:
              purpose === 'staff_login'
                ? 'An unknown number gets the same reply and no code. 429 `OTP_COOLDOWN` within 30 s of the last code; 429 `RATE_LIMITED` past the hourly limits per phone and per IP (`Retry-After` says when).'
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
          schema: {
            tags: [tag],
            summary: `Verify ${who}'s login code and sign in`,
            description:
              'A code is valid 10 minutes, once. 400 `OTP_INVALID` for a wrong or used code (the fifth wrong try locks it), 400 `OTP_EXPIRED`, 429 `OTP_LOCKED`.',
            body: verifyOtpBody,
            response: { 200: loginReply, 400: p, 403: p, 429: p },
          },
        },
        async (req) => otp.verifyOtp(purpose, req.body, requestMetaOf(req)),
      );
      app.post(
        `${prefix}/refresh-token`,
        {
          schema: {
            tags: [tag],
            summary: 'Trade a refresh token for a new access token and a new refresh token',
            description:
              'Each refresh token works once. Presenting one that was already used revokes every session of that login (401 `TOKEN_REUSED`).',
            body: refreshBody,
            response: { 200: refreshReply, 400: p, 401: p },
          },
        },
        async (req) => sessions.refresh(req.body.refreshToken, requestMetaOf(req)),
      );
      app.post(
        `${prefix}/logout`,
        {
          schema: {
            tags: [tag],
            summary: 'Sign out: ends the login this refresh token belongs to',
            description: 'Its access tokens stop working at once. An unknown token changes nothing.',
            body: refreshBody,
            response: { 204: z.undefined().describe('Signed out'), 400: p },
          },
        },
        async (req, reply) => {
          await sessions.logout(req.body.refreshToken, requestMetaOf(req));
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
