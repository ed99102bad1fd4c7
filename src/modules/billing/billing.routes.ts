import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import { problemSchema } from '../../platform/errors.js';
import {
  currentSubscriptionReply,
  jsonDates,
  ledgerReconciliationReply,
  payoutBody,
  payoutReply,
  purchaseBody,
  purchaseReply,
  trialBalanceReply,
  walletQuery,
  walletReply,
} from './billing.schemas.js';
import type { BillingService } from './billing.service.js';

const idempotencyKeyOf = (h: Record<string, unknown>) =>
  typeof h['idempotency-key'] === 'string' ? (h['idempotency-key'] as string) : undefined;

const problems = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
};
const tags = ['billing'];
const security = [{ bearer: [] }];

export function billingRoutes(deps: { auth: AuthGuard; service: BillingService }): FastifyPluginAsyncZod {
  const { auth, service } = deps;
  return async (app) => {
    app.post(
      '/api/subscriptions',
      {
        config: { idempotent: true },
        onRequest: auth.requireRole('patient'),
        schema: {
          tags,
          summary: 'Buy a plan',
          description:
            'Creates the subscription and its payment (payable kind `subscription`); credits are granted when the payment succeeds. A free plan is active at once (`payment: null`). 409 SUBSCRIPTION_ACTIVE while another is active.',
          security,
          body: purchaseBody,
          response: { 201: purchaseReply, ...problems, 502: problemSchema },
        },
      },
      async (req, reply) => {
        const res = await service.purchaseSubscription(
          actorOf(req).userId,
          req.body,
          idempotencyKeyOf(req.headers),
        );
        reply.status(201);
        return jsonDates(res);
      },
    );

    app.get(
      '/api/subscription',
      {
        onRequest: auth.requireRole('patient'),
        schema: {
          tags,
          summary: "The patient's active subscription and credits left",
          security,
          response: { 200: currentSubscriptionReply, 401: problemSchema, 403: problemSchema },
        },
      },
      async (req) => jsonDates(await service.currentSubscription(actorOf(req).userId)),
    );

    app.get(
      '/api/wallet',
      {
        onRequest: auth.requireRole('clinician'),
        schema: {
          tags,
          summary: "The doctor's wallet: posted and pending earnings, latest movements",
          security,
          querystring: walletQuery,
          response: { 200: walletReply, 400: problemSchema, 401: problemSchema, 403: problemSchema },
        },
      },
      async (req) => jsonDates(await service.wallet(actorOf(req).userId, req.query)),
    );

    app.post(
      '/api/admin/payouts',
      {
        config: { idempotent: true },
        onRequest: auth.requireRole('admin'),
        schema: {
          tags: [...tags, 'admin'],
          summary: 'Record a payout to a doctor',
          description:
            'Never more than the posted balance: 409 PAYOUT_EXCEEDS_BALANCE (also for the loser of two payouts at once). The same `reference` (or Idempotency-Key) returns the first payout.',
          security,
          body: payoutBody,
          response: { 201: payoutReply, ...problems },
        },
      },
      async (req, reply) => {
        const res = await service.recordPayout(actorOf(req).userId, req.body, idempotencyKeyOf(req.headers));
        reply.status(201);
        return jsonDates(res);
      },
    );

    app.get(
      '/api/admin/ledger/trial-balance',
      {
        onRequest: auth.requireRole('admin'),
        schema: {
          tags: [...tags, 'admin'],
          summary: 'Trial balance per account kind and currency; totals sum to zero',
          security,
          response: { 200: trialBalanceReply, 401: problemSchema, 403: problemSchema },
        },
      },
      async () => service.trialBalance(),
    );

    app.get(
      '/api/admin/ledger/reconciliation',
      {
        onRequest: auth.requireRole('admin'),
        schema: {
          tags: [...tags, 'admin'],
          summary:
            'Ledger reconciliation: paid subscriptions missing from the ledger, earnings without a session, imbalance',
          security,
          response: { 200: ledgerReconciliationReply, 401: problemSchema, 403: problemSchema },
        },
      },
      async () => service.reconciliation(),
    );
  };
}
