import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestMetaOf } from '../../platform/audit.js';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import { Errors, problemSchema } from '../../platform/errors.js';
import {
  idParams,
  sessionsReply,
  signedOutReply,
  totpConfirmBody,
  totpEnrolReply,
  totpStatusReply,
} from './identity.schemas.js';
import type { IdentityService } from './identity.service.js';
import type { SessionService } from './identity.sessions.js';
import type { TotpService } from './identity.totp.js';

const p = problemSchema;
const bearer = [{ bearer: [] }];

/** One's own logins ("sign out elsewhere") and the admins' second factor. */
export function sessionRoutes(deps: {
  auth: AuthGuard;
  sessions: SessionService;
  totp: TotpService;
  users: IdentityService;
}): FastifyPluginAsyncZod {
  const { auth, sessions, totp } = deps;
  return async (app) => {
    app.get(
      '/api/auth/sessions',
      {
        preHandler: auth.requireRole(),
        schema: {
          tags: ['auth'],
          summary: "The signed-in user's active logins (one per device or browser), newest first",
          security: bearer,
          response: { 200: sessionsReply, 401: p },
        },
      },
      async (req) =>
        (await sessions.listSessions(actorOf(req))).map((s) => ({
          id: s.id,
          createdAt: s.lastUsedAt.toISOString(),
          expiresAt: s.expiresAt.toISOString(),
          userAgent: s.userAgent,
          ip: s.ip,
          current: s.current,
        })),
    );
    app.delete(
      '/api/auth/sessions/:id',
      {
        preHandler: auth.requireRole(),
        schema: {
          tags: ['auth'],
          summary: 'Sign out one of your logins (its access tokens and streams stop at once)',
          description: "Another user's login, or one already ended, is a 404.",
          security: bearer,
          params: idParams,
          response: { 200: signedOutReply, 401: p, 404: p },
        },
      },
      async (req) => {
        const r = await sessions.signOut(actorOf(req), { familyId: req.params.id }, requestMetaOf(req));
        if (r.signedOut === 0) throw Errors.notFound('Session', req.params.id);
        return r;
      },
    );
    app.post(
      '/api/auth/sessions/sign-out-others',
      {
        preHandler: auth.requireRole(),
        schema: {
          tags: ['auth'],
          summary: 'Sign out everywhere else: every login of yours but this one',
          security: bearer,
          response: { 200: signedOutReply, 401: p },
        },
      },
      async (req) => sessions.signOut(actorOf(req), 'others', requestMetaOf(req)),
    );

    app.get(
      '/api/auth/totp',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['auth'],
          summary: 'Whether the signed-in admin has a second factor (TOTP)',
          security: bearer,
          response: { 200: totpStatusReply, 401: p, 403: p },
        },
      },
      async (req) => totp.status(actorOf(req)),
    );
    app.post(
      '/api/auth/totp/enrol',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['auth'],
          summary: 'Start enrolling a second factor: a TOTP secret for an authenticator app',
          description:
            'The secret is stored encrypted (TOTP_ENCRYPTION_KEY). Sign-in asks for a code only after POST /api/auth/totp/confirm. 409 `TOTP_ALREADY_ENROLLED`; 503 `TOTP_NOT_CONFIGURED` without an encryption key.',
          security: bearer,
          response: { 200: totpEnrolReply, 401: p, 403: p, 409: p, 503: p },
        },
      },
      async (req) => {
        const user = await deps.users.getUser(actorOf(req).userId);
        return totp.enrol(actorOf(req), user?.email ?? user?.phone ?? 'admin', requestMetaOf(req));
      },
    );
    app.post(
      '/api/auth/totp/confirm',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['auth'],
          summary:
            "Confirm the second factor with the app's current code; from then on staff sign-in asks for it",
          security: bearer,
          body: totpConfirmBody,
          response: { 200: totpStatusReply, 400: p, 401: p, 403: p, 409: p },
        },
      },
      async (req) => totp.confirm(actorOf(req), req.body.code, requestMetaOf(req)),
    );
  };
}
