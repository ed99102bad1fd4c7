import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestMetaOf } from '../../platform/audit.js';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import type { Clock } from '../../platform/clock.js';
import type { IdentityPort } from './consultations.ports.js';
import type { Consultation } from './consultations.repository.js';
import { shiftLabel, toMajorUnits } from './consultations.rules.js';
import {
  assignBody,
  collectBody,
  collectReply,
  confirmBody,
  confirmReply,
  consultationDetail,
  consultationListQuery,
  consultationPage,
  consultationSummary,
  detailedBody,
  detailedReply,
  idParams,
  notesBody,
  problems,
  selectBody,
  selectReply,
} from './consultations.schemas.js';
import type { ConsultationsService } from './consultations.service.js';
import { TRIAGE_DISCLAIMER, type TriageAssessment } from './triage/index.js';

const pageDto = (p: { items: Consultation[]; nextCursor: string | null }) => ({
  items: p.items.map(summaryDto),
  nextCursor: p.nextCursor,
});

export const summaryDto = (c: Consultation) => ({
  id: c.id,
  patientId: c.patientId,
  doctorId: c.doctorId,
  source: c.source,
  consultationType: c.consultationType,
  status: c.status,
  pendingReason: c.pendingReason,
  billTiming: c.billTiming,
  paymentCleared: c.paymentCleared,
  visitId: c.visitId,
  serviceCode: c.serviceCode,
  urgency: c.urgency,
  createdAt: c.createdAt,
  assignedAt: c.assignedAt,
  activatedAt: c.activatedAt,
  closedAt: c.closedAt,
});
const detailDto = (c: Consultation) => ({
  ...summaryDto(c),
  symptoms: c.symptoms,
  aiDiagnosis: c.aiDiagnosis,
  chiefComplaint: c.chiefComplaint,
  notes: c.notes,
  diagnosis: c.diagnosis,
  plan: c.plan,
});

const bearer = [{ bearer: [] }];
export const whoOf = (req: FastifyRequest) => ({ actor: actorOf(req), meta: requestMetaOf(req) });
const tags = ['consultations'];

type Deps = { auth: AuthGuard; clock: Clock; service: ConsultationsService; identity: IdentityPort };

export function consultationsRoutes(deps: Deps): FastifyPluginAsyncZod {
  const { auth, service } = deps;
  const who = whoOf;
  return async (app) => {
    app.post(
      '/api/consultations/symptoms/collect',
      {
        onRequest: auth.requireRole('patient'),
        schema: {
          tags,
          operationId: 'collectSymptoms',
          summary: 'Seed 000 step 1: describe symptoms, get a preliminary assessment and a triage session',
          security: bearer,
          body: collectBody,
          response: { 200: collectReply, ...problems(400, 401, 403) },
        },
      },
      async (req) => {
        const { session, assessment: a } = await service.collectSymptoms(actorOf(req), req.body, who(req));
        return {
          sessionId: session.id,
          preliminaryDiagnosis: {
            possible_diagnoses: a.possibleDiagnoses.slice(0, 5).map((d) => d.name),
            confidence_score: a.confidenceScore,
            urgency: a.urgency,
            red_flags: a.redFlags,
            advice: a.advice,
          },
          recommendedConsultationTypes: a.recommendedConsultationTypes,
          disclaimer: TRIAGE_DISCLAIMER,
          nextStep:
            a.urgency === 'emergency'
              ? null
              : { endpoint: '/consultations/select-consultation', sessionId: session.id },
        };
      },
    );

    app.post(
      '/api/consultations/select-consultation',
      {
        config: { idempotent: true },
        onRequest: auth.requireRole('patient'),
        schema: {
          tags,
          operationId: 'selectConsultation',
          summary:
            'Seed 000 step 2: choose chat, video or emergency; priced from the service catalog; opens a payment',
          description:
            'An emergency assessment is never sold a consultation: 409 EMERGENCY_SERVICES_REQUIRED with the advice to call emergency services.',
          security: bearer,
          body: selectBody,
          response: { 200: selectReply, ...problems(400, 401, 403, 404, 409, 410, 502) },
        },
      },
      async (req) => {
        const { session, payment } = await service.selectConsultation(actorOf(req), req.body);
        return { sessionId: session.id, paymentStatus: 'pending' as const, payment };
      },
    );

    app.post(
      '/api/consultations/confirm-payment',
      {
        onRequest: auth.requireRole('patient'),
        schema: {
          tags,
          operationId: 'confirmConsultationPayment',
          summary:
            'Seed 000 step 3: confirm the payment only and open a clinical session (no consultation yet)',
          description:
            'Verified server-side: with `orderId` and `signature` the checkout callback is checked with the gateway; without them the payment must already be confirmed by the gateway webhook. 409 PAYMENT_NOT_CONFIRMED until then. Calling it again returns the same clinical session. `amount` is in MAJOR units here (seed 000).',
          security: bearer,
          body: confirmBody,
          response: { 200: confirmReply, ...problems(400, 401, 403, 404, 409, 502) },
        },
      },
      async (req) => {
        const { session, payment, clinical } = await service.confirmPayment(actorOf(req), req.body, who(req));
        return {
          sessionId: session.id,
          paymentStatus: 'confirmed' as const,
          paymentId: payment.id,
          clinicalSessionId: clinical.id,
          amount: toMajorUnits(payment.amount.amount, payment.amount.currency),
          currency: payment.amount.currency,
          message: 'Payment confirmed. Please proceed to detailed symptom collection.',
          nextStep: {
            endpoint: '/consultations/symptoms/collect_detailed_symptoms',
            clinicalSessionId: clinical.id,
          },
          clinicalSessionExpiresAt: clinical.expiresAt,
        };
      },
    );

    app.post(
      '/api/consultations/symptoms/collect_detailed_symptoms',
      {
        onRequest: auth.requireRole('patient'),
        schema: {
          tags,
          operationId: 'collectDetailedSymptoms',
          summary:
            'Seed 000 step 4: detailed symptoms; creates the consultation and assigns the doctor on shift',
          description:
            '400 PAYMENT_NOT_CONFIRMED without a paid clinical session; 409 CLINICAL_SESSION_USED; 410 CLINICAL_SESSION_EXPIRED (its payment is refunded). A 500 created nothing: the clinical session stays usable, so the same call can be retried.',
          security: bearer,
          body: detailedBody,
          response: { 201: detailedReply, ...problems(400, 401, 403, 409, 410, 500) },
        },
      },
      async (req, reply) => {
        const r = await service.collectDetailedSymptoms(actorOf(req), req.body, who(req));
        const a: TriageAssessment = r.assessment;
        const doctorId = r.consultation.doctorId;
        const doctor = doctorId ? await deps.identity.getClinician(doctorId) : null;
        return reply.code(201).send({
          consultationId: r.consultation.id,
          sessionId: r.triage.id,
          clinicalSessionId: r.clinical.id,
          aiDiagnosis: {
            possible_diagnoses: a.possibleDiagnoses.slice(0, 5).map((d) => d.name),
            confidence_score: a.confidenceScore,
            treatment_recommendations: {
              advice: a.advice,
              urgency: a.urgency,
              red_flags: a.redFlags,
              recommended_consultation_types: a.recommendedConsultationTypes,
            },
          },
          assignedDoctor: doctorId
            ? {
                doctorId,
                name: doctor?.fullName ?? 'Doctor',
                shift: shiftLabel(r.consultation.createdAt, doctor?.clinician.timeZone ?? 'UTC'),
              }
            : null,
          consultationStatus: doctorId ? ('doctor_review_pending' as const) : ('awaiting_doctor' as const),
          message: doctorId
            ? 'Consultation created successfully. Doctor will review shortly.'
            : 'Consultation created successfully. The next available doctor will take it.',
          disclaimer: TRIAGE_DISCLAIMER,
        });
      },
    );

    registerLifecycle(app, deps);
  };
}

type App = Parameters<FastifyPluginAsyncZod>[0];

function registerLifecycle(app: App, { auth, service }: Deps) {
  const meta = whoOf;
  app.get(
    '/api/consultations',
    {
      onRequest: auth.requireRole('patient', 'clinician', 'admin'),
      schema: {
        tags,
        operationId: 'listConsultations',
        summary:
          'Patients: their own; doctors: assigned to them; admins: all. Newest first, a page at a time (`{items, nextCursor}`)',
        security: bearer,
        querystring: consultationListQuery,
        response: { 200: consultationPage, ...problems(400, 401, 403) },
      },
    },
    async (req) => pageDto(await service.listMine(actorOf(req), req.query)),
  );
  app.get(
    '/api/consultations/queue',
    {
      onRequest: auth.requireRole('clinician'),
      schema: {
        tags,
        operationId: 'consultationQueue',
        summary:
          "Doctor: PENDING consultations assigned to me, and the shared queue's unassigned ones; oldest first, a page at a time (`{items, nextCursor}`)",
        description:
          'Changes arrive live on GET /api/notifications/stream: consultation_assigned and consultation_queued (new entries), consultation_taken (an unassigned entry was claimed or assigned to another doctor: remove it). Refetch this list on any of them.',
        security: bearer,
        querystring: consultationListQuery,
        response: { 200: consultationPage, ...problems(400, 401, 403) },
      },
    },
    async (req) => pageDto(await service.queue(actorOf(req), req.query)),
  );
  app.get(
    '/api/consultations/:id',
    {
      onRequest: auth.requireRole('patient', 'clinician', 'admin'),
      schema: {
        tags,
        operationId: 'getConsultation',
        summary: 'One consultation with its clinical data (audited); 404 for anyone it does not belong to',
        security: bearer,
        params: idParams,
        response: { 200: consultationDetail, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => detailDto(await service.getConsultation(actorOf(req), req.params.id, meta(req))),
  );
  for (const [action, summary, fn] of [
    [
      'claim',
      'Doctor: take an unassigned consultation (409 ALREADY_ASSIGNED when another doctor was first)',
      service.claim,
    ],
    [
      'activate',
      'Assigned doctor: start a PENDING consultation (409 PAYMENT_NOT_CLEARED until paid)',
      service.activate,
    ],
    ['close', 'Assigned doctor: close an ACTIVE consultation (read-only afterwards)', service.close],
  ] as const)
    app.post(
      `/api/consultations/:id/${action}`,
      {
        onRequest: auth.requireRole('clinician'),
        schema: {
          tags,
          operationId: `${action}Consultation`,
          summary,
          security: bearer,
          params: idParams,
          response: { 200: consultationSummary, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (req) => summaryDto(await fn(actorOf(req), req.params.id, meta(req))),
    );
  app.post(
    '/api/consultations/:id/assign',
    {
      onRequest: auth.requireRole('admin'),
      schema: {
        tags,
        operationId: 'assignConsultation',
        summary: 'Admin: give an unassigned consultation to a doctor (409 ALREADY_ASSIGNED when taken)',
        description:
          'The doctor gets consultation_assigned; every other doctor and admin consultation_taken (the live queue drops it).',
        security: bearer,
        params: idParams,
        body: assignBody,
        response: { 200: consultationSummary, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) =>
      summaryDto(await service.assign(actorOf(req), req.params.id, req.body.doctorId, whoOf(req))),
  );
  app.put(
    '/api/consultations/:id/notes',
    {
      onRequest: auth.requireRole('clinician'),
      schema: {
        tags,
        operationId: 'updateConsultationNotes',
        summary: 'Assigned doctor, ACTIVE only: notes, diagnosis and plan (audited)',
        security: bearer,
        params: idParams,
        body: notesBody,
        response: { 200: consultationDetail, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => detailDto(await service.updateNotes(actorOf(req), req.params.id, req.body, meta(req))),
  );
}
