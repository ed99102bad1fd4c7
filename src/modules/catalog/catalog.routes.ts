import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthGuard } from '../../platform/auth.js';
import { Errors, problemSchema } from '../../platform/errors.js';
import {
  adminClinicianSchema,
  centreSchema,
  clinicianQuery,
  clinicianSchema,
  createCentreBody,
  idParams,
  listingBody,
  patientPlanReply,
  planSchema,
  relationshipBody,
  relationshipReply,
  setPlanBody,
} from './catalog.schemas.js';
import type { CatalogService } from './catalog.service.js';

const problems = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const tags = ['catalog'];
const security = [{ bearer: [] }];

export function catalogRoutes(deps: { auth: AuthGuard; service: CatalogService }): FastifyPluginAsyncZod {
  const { auth, service } = deps;
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
          summary: 'Search listed clinicians',
          querystring: clinicianQuery,
          response: { 200: z.array(clinicianSchema), 400: problemSchema },
        },
      },
      async (req) => service.listClinicians(req.query),
    );

    app.get(
      '/api/clinicians/:id',
      {
        schema: {
          tags,
          summary: 'One listed clinician',
          params: idParams,
          response: { 200: clinicianSchema, 400: problemSchema, 404: problemSchema },
        },
      },
      async (req) => {
        const c = await service.getClinician(req.params.id);
        if (!c) throw Errors.notFound('Clinician', req.params.id);
        return c;
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
