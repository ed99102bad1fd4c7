import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import { problemSchema } from '../../platform/errors.js';
import {
  idParams,
  messageBody,
  messageSchema,
  messagesQuery,
  messagesReply,
  sessionReply,
  sessionSchema,
  startBody,
  toSessionView,
} from './sessions.schemas.js';
import type { SessionsService } from './sessions.service.js';

const problems = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
};
const tags = ['sessions'];
const security = [{ bearer: [] }];
const asMessage = (m: {
  id: string;
  sessionId: string;
  senderId: string;
  body: string;
  createdAt: Date;
}) => ({
  ...m,
  createdAt: m.createdAt.toISOString(),
});

export function sessionsRoutes(deps: { auth: AuthGuard; service: SessionsService }): FastifyPluginAsyncZod {
  const { auth, service } = deps;
  return async (app) => {
    for (const kind of ['text', 'call'] as const)
      app.post(
        `/api/sessions/${kind}`,
        {
          onRequest: auth.requireRole('patient'),
          schema: {
            tags,
            summary: `Start a ${kind} session (${kind === 'text' ? 'WAITING' : 'RINGING'})`,
            description:
              '`{clinicianId}`: instant, paid from credits (402 INSUFFICIENT_CREDITS without one); `{appointmentId}`: a confirmed appointment, prepaid; `{consultationId}`: a consultation.',
            security,
            body: startBody,
            response: { 201: sessionReply, 402: problemSchema, ...problems },
          },
        },
        async (req, reply) => {
          const s = await service.start(actorOf(req), kind, req.body);
          reply.status(201);
          return { session: toSessionView(s) };
        },
      );

    app.get(
      '/api/sessions/:id',
      {
        onRequest: auth.requireRole(),
        schema: {
          tags,
          summary: 'One session (either party)',
          security,
          params: idParams,
          response: { 200: sessionSchema, ...problems },
        },
      },
      async (req) => toSessionView(await service.get(actorOf(req), req.params.id)),
    );

    const action = (
      path: string,
      summary: string,
      run: (actor: ReturnType<typeof actorOf>, id: string) => ReturnType<SessionsService['end']>,
    ) =>
      app.post(
        path,
        {
          onRequest: auth.requireRole('patient', 'clinician', 'admin'),
          schema: { tags, summary, security, params: idParams, response: { 200: sessionReply, ...problems } },
        },
        async (req) => ({ session: toSessionView(await run(actorOf(req), req.params.id)) }),
      );
    action(
      '/api/sessions/text/:id/activate',
      'The doctor starts the chat: block 1 is charged',
      service.activate,
    );
    action(
      '/api/sessions/text/:id/end',
      'Either party ends the chat; started blocks are settled',
      service.end,
    );
    action(
      '/api/sessions/call/:id/connect',
      'The doctor answers: blocks run from now (409 CALL_MISSED when it rang out)',
      service.connect,
    );
    action(
      '/api/sessions/call/:id/hangup',
      'Either party hangs up; every started block is settled',
      service.hangup,
    );
    action(
      '/api/sessions/call/:id/reject',
      'The doctor rejects a ringing call (never billed)',
      service.reject,
    );

    app.get(
      '/api/sessions/text/:id/messages',
      {
        onRequest: auth.requireRole(),
        schema: {
          tags,
          summary: "A chat's messages, oldest first, a page at a time (`{items, nextCursor}`)",
          security,
          params: idParams,
          querystring: messagesQuery,
          response: { 200: messagesReply, ...problems },
        },
      },
      async (req) => {
        const page = await service.listMessages(actorOf(req), req.params.id, req.query);
        return { ...page, items: page.items.map(asMessage) };
      },
    );

    app.post(
      '/api/sessions/text/:id/messages',
      {
        onRequest: auth.requireRole(),
        schema: {
          tags,
          summary: 'Send a chat message; the other party also gets it on their notification stream',
          security,
          params: idParams,
          body: messageBody,
          response: { 201: messageSchema, ...problems },
        },
      },
      async (req, reply) => {
        reply.status(201);
        return asMessage(await service.postMessage(actorOf(req), req.params.id, req.body.body));
      },
    );
  };
}
