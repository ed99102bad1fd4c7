import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthGuard } from '../../platform/auth.js';
import { Errors, problemSchema } from '../../platform/errors.js';
import type { SchedulingService } from '../scheduling/index.js';
import {
  adminClinicianSchema,
  centreSchema,
  clinicianQuery,
  createCentreBody,
  idParams,
  listedClinicianSchema,
  listingBody,
  patientPlanReply,
  planSchema,
  relationshipBody,
  relationshipReply,
  setPlanBody,
} from './catalog.schemas.js';
import type { CatalogService, Clinician, ClinicianFilter } from './catalog.service.js';

const problems = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const tags = ['catalog'];
const security = [{ bearer: [] }];

/** Scheduling's next-slot read (scheduling is built after catalog: late-bound in the composition root). */
export type NextSlotsPort = SchedulingService['nextAvailableSlots'];

export function catalogRoutes(deps: {
  auth: AuthGuard;
  service: CatalogService;
  nextSlots: NextSlotsPort;
  horizonDays: number;
}): FastifyPluginAsyncZod {
  const { auth, service } = deps;
  /** The search's view: each clinician with their next available slot (one batched read for the page). */
  async function withNextSlots(list: Clinician[], filter: Pick<ClinicianFilter, 'mode' | 'centreId'>) {
    const next = await deps.nextSlots(list, filter);
    const bookingHorizonDays = deps.horizonDays;
    return list.map((c) => ({ ...c, nextAvailableSlot: next.get(c.id) ?? null, bookingHorizonDays }));
  }
  return async (app) => {
    app.get(
      '/api/centres',
      { schema: { tags, summary: 'List centres', response: { 200: z.array(centreSchema) } } },
      async () => service.listCentres(),
    );

    app.post(
      '/api/admin/centres',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags,
          security,
          summary: 'Create a centre (admin)',
          body: createCentreBody,
          response: { 201: centreSchema, ...problems },
        },
      },
      async (req, reply) => reply.status(201).send(await service.createCentre(req.body)),
    );

    app.get(
      '/api/clinicians',
      {
        schema: {
          tags,
          summary: 'Search listed clinicians, each with their next available slot',
          querystring: clinicianQuery,
          response: { 200: z.array(listedClinicianSchema), 400: problemSchema },
        },
      },
      async (req) => {
        const { mode, centreId } = req.query;
        return withNextSlots(await service.listClinicians(req.query), { mode, centreId });
      },
    );

    app.get(
      '/api/clinicians/:id',
      {
        schema: {
          tags,
          summary: 'One listed clinician, with their next available slot',
          params: idParams,
          response: { 200: listedClinicianSchema, 400: problemSchema, 404: problemSchema },
        },
      },
      async (req) => {
        const c = await service.getClinician(req.params.id);
        if (!c) throw Errors.notFound('Clinician', req.params.id);
        return (await withNextSlots([c], {}))[0]!;
      },
    );

    app.put(
      '/api/admin/clinicians/:id/listing',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags,
          security,
          summary: "Set a clinician's modes, fee, centres and visibility (admin)",
          params: idParams,
          body: listingBody,
          response: { 200: adminClinicianSchema, ...problems },
        },
      },
      async (req) => service.setListing(req.params.id, req.body),
    );

    app.get(
      '/api/plans',
      { schema: { tags, summary: 'Plans and their booking rules', response: { 200: z.array(planSchema) } } },
      async () => service.listPlans(),
    );

    app.put(
      '/api/admin/patients/:id/plan',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags,
          security,
          summary: "Set a patient's current plan (admin)",
          params: idParams,
          body: setPlanBody,
          response: { 200: patientPlanReply, ...problems },
        },
      },
      async (req) => {
        const { periodEnd, ...rest } = req.body;
        const saved = await service.setPatientPlan(req.params.id, {
          ...rest,
          periodEnd: periodEnd ? new Date(periodEnd) : null,
        });
        return {
          patientId: saved.patientId,
          planCode: saved.planCode,
          status: saved.status,
          periodEnd: saved.periodEnd?.toISOString() ?? null,
          effectivePlan: saved.effectivePlan,
        };
      },
    );

    app.post(
      '/api/admin/relationships',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags,
          security,
          summary: 'Link a patient to a clinician (admin); idempotent',
          body: relationshipBody,
          response: { 200: relationshipReply, 201: relationshipReply, ...problems },
        },
      },
      async (req, reply) => {
        const { relationship: r, created } = await service.createRelationship(req.body);
        return reply
          .status(created ? 201 : 200)
          .send({ ...r, createdAt: r.createdAt.toISOString(), created });
      },
    );
  };
}
