import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type Actor, type AuthGuard, actorOf } from '../../platform/auth.js';
import { Errors, problemSchema } from '../../platform/errors.js';
import type { Provider } from './gateways/types.js';
import {
  adminPaymentsQuery,
  adminPaymentsReply,
  checkoutSchema,
  createOrderBody,
  idParams,
  jsonDates,
  paymentSummarySchema,
  reconciliationReply,
  refundBody,
  refundReply,
  refundSchema,
  verifyBody,
  verifyPendingReply,
  webhookReply,
} from './payments.schemas.js';
import type { PaymentsService } from './payments.service.js';

type RouteDeps = { auth: AuthGuard; service: PaymentsService };

const problems = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
};
const STAFF = ['admin', 'staff'] as const;

/** Another patient's payment is a 404, as if it did not exist. */
function assertCanSee(actor: Actor, p: { patientId: string } | null, what: string, id: string) {
  if (!p || (actor.role === 'patient' && p.patientId !== actor.userId) || actor.role === 'clinician')
    throw Errors.notFound(what, id);
}

/**
 * Webhooks need the exact bytes the gateway signed: in this encapsulated scope every body is
 * kept as a raw Buffer, and the signature is checked before any JSON parsing.
 */
function webhookRoutes(service: PaymentsService): FastifyPluginAsyncZod {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    const hook = (path: string, provider: Provider, summary: string) =>
      app.post(
        path,
        {
          // Gateways replay bursts after an outage from a few addresses; signatures are the gate here.
          config: { rateLimit: false },
          schema: {
            tags: ['payments'],
            summary,
            description:
              'Signed by the gateway over the raw body; a stale, tampered or missing signature is a 400 and changes nothing. Each event id is applied once.',
            // 500: applying failed and rolled back as a whole; the gateway redelivers and it applies once.
            response: { 200: webhookReply, 400: problemSchema, 500: problemSchema },
          },
        },
        async (req) => {
          const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          const res = await service.ingestWebhook(provider, raw, req.headers);
          return { received: true as const, ...res };
        },
      );
    hook('/api/payment/webhook/stripe', 'stripe', 'Stripe webhook');
    hook('/api/payment/webhook/razorpay', 'razorpay', 'Razorpay webhook');
    hook('/api/payment/webhook', 'razorpay', 'Razorpay webhook (seed 004 path)');
    hook('/api/payment/webhook/sandbox', 'sandbox', 'Sandbox gateway webhook');
  };
}

export function paymentsRoutes(deps: RouteDeps): FastifyPluginAsyncZod {
  const { auth, service } = deps;
  return async (app) => {
    await app.register(webhookRoutes(service));

    app.post(
      '/api/payment/create-order',
      {
        config: { idempotent: true },
        preHandler: auth.requireRole('patient'),
        schema: {
          tags: ['payments'],
          summary: 'Open the gateway checkout for a payable (seed 004)',
          description: 'Creates the gateway order or session once; calling again returns the same one.',
          security: [{ bearer: [] }],
          body: createOrderBody,
          response: { 200: checkoutSchema, ...problems, 502: problemSchema },
        },
      },
      async (req) => {
        const actor = actorOf(req);
        const p = await service.getForPayable(req.body.payableKind, req.body.payableId);
        assertCanSee(actor, p, 'Payable', req.body.payableId);
        if (req.body.provider && req.body.provider !== p!.provider)
          throw Errors.conflict('PAYMENT_PROVIDER_MISMATCH', `This payment is set up for ${p!.provider}.`);
        return jsonDates(await service.openCheckout(p!.id));
      },
    );

    app.post(
      '/api/payment/verify',
      {
        preHandler: auth.requireRole('patient'),
        schema: {
          tags: ['payments'],
          summary: "Verify the checkout's success callback (seed 004)",
          description:
            'Razorpay: HMAC-SHA256 of `order_id|payment_id` with the key secret, checked against the order id stored for this payable. 400 PAYMENT_VERIFICATION_FAILED when it does not hold. 200: the payment as it now stands. 202: the callback is valid but the gateway has only authorised the money (not captured yet); we capture it in a job and the payment moves to SUCCEEDED by itself (poll `GET /api/payment/:id`), with `awaiting: "capture"`.',
          security: [{ bearer: [] }],
          body: verifyBody,
          response: {
            200: paymentSummarySchema,
            202: verifyPendingReply,
            ...problems,
            502: problemSchema,
          },
        },
      },
      async (req, reply) => {
        const actor = actorOf(req);
        const p = await service.getForPayable(req.body.payableKind, req.body.payableId);
        assertCanSee(actor, p, 'Payable', req.body.payableId);
        const res = await service.verifyClientCallback(req.body, { allowPending: true });
        if (res.awaiting) reply.status(202);
        return jsonDates(res);
      },
    );

    app.get(
      '/api/payment/:id',
      {
        preHandler: auth.requireRole('patient', ...STAFF),
        schema: {
          tags: ['payments'],
          summary: 'One payment (its owner, staff or admin)',
          security: [{ bearer: [] }],
          params: idParams,
          response: { 200: paymentSummarySchema, ...problems },
        },
      },
      async (req) => {
        const p = await service.getById(req.params.id);
        assertCanSee(actorOf(req), p, 'Payment', req.params.id);
        return jsonDates(p);
      },
    );

    app.get(
      '/api/admin/payments',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['payments', 'admin'],
          summary: 'Payments, newest first, filtered, a page at a time (`{items, nextCursor}`)',
          security: [{ bearer: [] }],
          querystring: adminPaymentsQuery,
          response: { 200: adminPaymentsReply, 400: problemSchema, 401: problemSchema, 403: problemSchema },
        },
      },
      async (req) => {
        const { from, to, ...rest } = req.query;
        return jsonDates(
          await service.listForAdmin({
            ...rest,
            ...(from ? { from: new Date(from) } : {}),
            ...(to ? { to: new Date(to) } : {}),
          }),
        );
      },
    );

    app.get(
      '/api/admin/payments/:id/refunds',
      {
        preHandler: auth.requireRole(...STAFF),
        schema: {
          tags: ['payments', 'admin'],
          summary: "A payment's refunds",
          security: [{ bearer: [] }],
          params: idParams,
          response: { 200: refundSchema.array(), ...problems },
        },
      },
      async (req) => {
        if (!(await service.getById(req.params.id))) throw Errors.notFound('Payment', req.params.id);
        return jsonDates(await service.listRefunds(req.params.id));
      },
    );

    app.post(
      '/api/admin/payments/:id/refunds',
      {
        config: { idempotent: true },
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['payments', 'admin'],
          summary: 'Refund a payment (partly or fully)',
          description:
            'Never more than captured minus refunded: 409 REFUND_EXCEEDS_PAYMENT. The same idempotency key returns the original refund.',
          security: [{ bearer: [] }],
          params: idParams,
          body: refundBody,
          response: { 201: refundReply, ...problems },
        },
      },
      async (req, reply) => {
        const res = await service.adminRefund(req.params.id, req.body);
        reply.status(201);
        return res;
      },
    );

    app.get(
      '/api/admin/reconciliation',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['payments', 'admin'],
          summary: 'Payments whose gateway, payment and payable states or amounts disagree',
          security: [{ bearer: [] }],
          response: { 200: reconciliationReply, 401: problemSchema, 403: problemSchema },
        },
      },
      async () => jsonDates(await service.reconciliationReport()),
    );
  };
}
