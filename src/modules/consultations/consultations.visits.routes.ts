import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import { summaryDto, whoOf } from './consultations.routes.js';
import {
  idParams,
  problems,
  visitBody,
  visitListQuery,
  visitPaymentBody,
  visitPaymentReply,
  visitReply,
} from './consultations.schemas.js';
import type { ConsultationsService } from './consultations.service.js';
import type { VisitResult } from './consultations.visits.js';

const visitDto = ({ visit: v, consultation }: VisitResult) => ({
  visit: {
    id: v.id,
    patientId: v.patientId,
    serviceCode: v.serviceCode,
    billTiming: v.billTiming,
    status: v.status,
    paymentStatus: v.paymentStatus,
    price: { amount: v.priceMinor, currency: v.currency },
    paymentType: v.paymentType,
    openedAt: v.openedAt,
    paidAt: v.paidAt,
    closedAt: v.closedAt,
  },
  consultation: consultation ? summaryDto(consultation) : null,
});

const bearer = [{ bearer: [] }];
const tags = ['visits'];

/** GOPD visits at the front desk (seed 002). */
export function visitsRoutes(deps: {
  auth: AuthGuard;
  service: ConsultationsService;
}): FastifyPluginAsyncZod {
  const { auth, service } = deps;
  const desk = { onRequest: auth.requireRole('staff', 'admin') };
  return async (app) => {
    app.post(
      '/api/visits',
      {
        ...desk,
        schema: {
          tags,
          operationId: 'openVisit',
          summary: "Open (or reuse) the patient's OPEN visit for a GOPD service",
          description:
            'BEFORE: no consultation until the payment is cleared. AFTER: an ACTIVE consultation at once (auto-assigned when the service says so); the visit cannot close until paid. 201 with `created: false` when an OPEN visit was reused.',
          security: bearer,
          body: visitBody,
          response: {
            201: visitReply.extend({ created: z.boolean() }),
            ...problems(400, 401, 403, 404, 409),
          },
        },
      },
      async (req, reply) => {
        const r = await service.openVisit(actorOf(req), req.body, whoOf(req));
        return reply.code(201).send({ ...visitDto(r), created: r.created });
      },
    );
    app.get(
      '/api/visits',
      {
        ...desk,
        schema: {
          tags,
          operationId: 'listVisits',
          summary: "The day's visits, oldest first",
          security: bearer,
          querystring: visitListQuery,
          response: {
            200: z.object({ items: z.array(visitReply), nextCursor: z.string().nullable() }),
            ...problems(400, 401, 403),
          },
        },
      },
      async (req) => {
        const page = await service.listVisits(req.query);
        return { items: page.items.map(visitDto), nextCursor: page.nextCursor };
      },
    );
    app.post(
      '/api/visits/:id/payments',
      {
        ...desk,
        config: { idempotent: true },
        schema: {
          tags,
          operationId: 'recordVisitPayment',
          summary: 'Take the payment: CASH, CARD or UPI at the desk, or open a GATEWAY checkout',
          description:
            'Desk methods clear the payment at once and create (BEFORE) or clear (AFTER) the consultation. GATEWAY answers the checkout; the visit is paid when the gateway confirms it.',
          security: bearer,
          params: idParams,
          body: visitPaymentBody,
          response: { 200: visitPaymentReply, ...problems(400, 401, 403, 404, 409, 502) },
        },
      },
      async (req) => {
        const r = await service.recordVisitPayment(actorOf(req), req.params.id, req.body, whoOf(req));
        return { ...visitDto(r), payment: r.payment };
      },
    );
    app.post(
      '/api/visits/:id/close',
      {
        ...desk,
        schema: {
          tags,
          operationId: 'closeVisit',
          summary: 'Close a paid visit (409 VISIT_UNPAID while unpaid)',
          security: bearer,
          params: idParams,
          response: { 200: visitReply, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (req) => visitDto(await service.closeVisit(actorOf(req), req.params.id)),
    );
  };
}
