import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthGuard } from '../../platform/auth.js';
import { problemSchema } from '../../platform/errors.js';
import { moneySchema } from '../../platform/money.js';
import type { ServiceCatalog } from './catalog.services.js';
import { BILL_TIMINGS, SERVICE_WORKFLOWS } from './catalog.table.js';

const problems = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, problemSchema])) as Record<number, typeof problemSchema>;

const code = z
  .string()
  .trim()
  .regex(/^[A-Z0-9_]{2,40}$/, 'must be 2-40 capital letters, digits or underscores');

export const serviceEntrySchema = z.object({
  code,
  name: z.string().trim().min(1).max(200),
  workflowType: z
    .enum(SERVICE_WORKFLOWS)
    .describe(
      'GOPD_CONSULT drives visits; ONLINE_CHAT, ONLINE_VIDEO and ONLINE_EMERGENCY price on-demand consultations',
    ),
  billTiming: z
    .enum(BILL_TIMINGS)
    .describe('BEFORE: no consultation until paid; AFTER: consultation at once, paid later'),
  autoAssignDoctorId: z.uuid().nullable().describe('Clinician given every consultation of this service'),
  isActive: z.boolean(),
  price: moneySchema,
});
const createBody = serviceEntrySchema.extend({
  autoAssignDoctorId: z.uuid().nullable().optional(),
  isActive: z.boolean().default(true),
});
const patchBody = serviceEntrySchema.omit({ code: true }).partial();
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: code.optional(),
});

export function serviceCatalogRoutes(deps: {
  auth: AuthGuard;
  service: ServiceCatalog;
}): FastifyPluginAsyncZod {
  const { auth, service } = deps;
  const admin = { onRequest: auth.requireRole('admin') };
  const bearer = [{ bearer: [] }];
  return async (app) => {
    app.get(
      '/api/services',
      {
        schema: {
          tags: ['catalog'],
          operationId: 'listActiveServices',
          summary: 'The active service catalog',
          security: [],
          response: { 200: z.array(serviceEntrySchema) },
        },
      },
      () => service.listActive(),
    );
    app.get(
      '/api/admin/services',
      {
        ...admin,
        schema: {
          tags: ['catalog'],
          operationId: 'adminListServices',
          summary: 'Every service, active or not (admin)',
          security: bearer,
          querystring: listQuery,
          response: {
            200: z.object({ items: z.array(serviceEntrySchema), nextCursor: z.string().nullable() }),
            ...problems(400, 401, 403),
          },
        },
      },
      (req) => service.listAll(req.query),
    );
    app.post(
      '/api/admin/services',
      {
        ...admin,
        schema: {
          tags: ['catalog'],
          operationId: 'adminCreateService',
          summary: 'Add a service to the catalog (admin)',
          security: bearer,
          body: createBody,
          response: { 201: serviceEntrySchema, ...problems(400, 401, 403, 409) },
        },
      },
      async (req, reply) => reply.code(201).send(await service.create(req.body)),
    );
    app.patch(
      '/api/admin/services/:code',
      {
        ...admin,
        schema: {
          tags: ['catalog'],
          operationId: 'adminUpdateService',
          summary:
            'Change a service: name, workflow, bill timing, auto-assigned doctor, active, price (admin)',
          security: bearer,
          params: z.object({ code }),
          body: patchBody,
          response: { 200: serviceEntrySchema, ...problems(400, 401, 403, 404) },
        },
      },
      (req) => service.update(req.params.code, req.body),
    );
  };
}
