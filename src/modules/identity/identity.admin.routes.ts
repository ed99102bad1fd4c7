import { drizzle } from 'drizzle-orm/node-postgres';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { audit, requestMetaOf } from '../../platform/audit.js';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import { problemSchema } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { decodeCursor, pageOf, toPage } from '../../platform/paging.js';
import type { PatientDirectory } from './identity.patients.js';
import type { ProfileService } from './identity.profile.js';
import {
  adminUserReply,
  adminUsersQuery,
  auditQuery,
  auditReply,
  createUserBody,
  idParams,
  patientContact,
  patientLookupQuery,
  profileReply,
  profileUpdateBody,
  registerPatientBody,
  updateUserBody,
} from './identity.schemas.js';
import type { IdentityService } from './identity.service.js';

export type AccountRouteDeps = Pick<Platform, 'pool'> & {
  auth: AuthGuard;
  profiles: ProfileService;
  patients: PatientDirectory;
  users: IdentityService;
};

const p = problemSchema;
const bearer = [{ bearer: [] }];

/**
 * The patient's own profile, patient records and walk-in registration for the clinic's staff, and
 * admin account management.
 */
export function accountRoutes(deps: AccountRouteDeps): FastifyPluginAsyncZod {
  const { auth, profiles, patients, users } = deps;
  return async (app) => {
    app.get(
      '/api/patient-dashboard/profile',
      {
        preHandler: auth.requireRole('patient'),
        schema: {
          tags: ['patient-dashboard'],
          summary: "The signed-in patient's profile (audited)",
          security: bearer,
          response: { 200: profileReply, 401: p, 403: p, 404: p },
        },
      },
      async (req) => profiles.getProfile(actorOf(req), actorOf(req).userId, requestMetaOf(req)),
    );
    app.put(
      '/api/patient-dashboard/profile',
      {
        preHandler: auth.requireRole('patient'),
        schema: {
          tags: ['patient-dashboard'],
          summary: "Update the signed-in patient's profile (audited: field names, never values)",
          security: bearer,
          body: profileUpdateBody,
          response: { 200: profileReply, 400: p, 401: p, 403: p },
        },
      },
      async (req) => profiles.updateProfile(actorOf(req), req.body, requestMetaOf(req)),
    );
    app.get(
      '/api/patients/:id',
      {
        preHandler: auth.requireRole('patient', 'staff', 'admin'),
        schema: {
          tags: ['patients'],
          summary: "A patient's profile: the patient themself, or the clinic's staff and admins (audited)",
          description: "Another patient's id is a 404.",
          security: bearer,
          params: idParams,
          response: { 200: profileReply, 401: p, 403: p, 404: p },
        },
      },
      async (req) => profiles.getProfile(actorOf(req), req.params.id, requestMetaOf(req)),
    );

    app.get(
      '/api/patients',
      {
        // Before validation: an unauthenticated request is a 401 whatever its query.
        onRequest: auth.requireRole('staff', 'admin'),
        schema: {
          tags: ['patients'],
          summary: 'Front desk: the patient with this phone number (audited)',
          description:
            'At most one (phones are unique); an empty list when no patient has it. 400 `PHONE_INVALID`.',
          security: bearer,
          querystring: patientLookupQuery,
          response: { 200: patientContact.array(), 400: p, 401: p, 403: p },
        },
      },
      async (req) => patients.findPatientsByPhone(actorOf(req), req.query.phone, requestMetaOf(req)),
    );
    app.post(
      '/api/patients',
      {
        onRequest: auth.requireRole('staff', 'admin'),
        schema: {
          tags: ['patients'],
          summary: 'Front desk: register a walk-in patient (audited)',
          description:
            'The patient signs in later with the same phone. 409 `PHONE_IN_USE` if the number belongs to anyone.',
          security: bearer,
          body: registerPatientBody,
          response: { 201: patientContact, 400: p, 401: p, 403: p, 409: p },
        },
      },
      async (req, reply) => {
        const patient = await patients.registerPatient(actorOf(req), req.body, requestMetaOf(req));
        return reply.status(201).send(patient);
      },
    );

    app.get(
      '/api/admin/users',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['admin'],
          summary: 'Users, optionally of one role, oldest first, a page at a time (`{items, nextCursor}`)',
          security: bearer,
          querystring: adminUsersQuery,
          response: { 200: pageOf(adminUserReply), 400: p, 401: p, 403: p },
        },
      },
      async (req) => users.listUsers(req.query),
    );
    app.post(
      '/api/admin/users',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['admin'],
          summary: 'Create a clinician, staff or admin account (they sign in at /api/auth with their phone)',
          security: bearer,
          body: createUserBody,
          response: { 201: adminUserReply, 400: p, 401: p, 403: p, 409: p },
        },
      },
      async (req, reply) => {
        const user = await users.createStaffUser(req.body, actorOf(req), requestMetaOf(req));
        return reply.status(201).send(user);
      },
    );
    app.patch(
      '/api/admin/users/:id',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['admin'],
          summary: 'Activate or deactivate an account; deactivation signs it out everywhere at once',
          security: bearer,
          params: idParams,
          body: updateUserBody,
          response: { 200: adminUserReply, 400: p, 401: p, 403: p, 404: p, 409: p },
        },
      },
      async (req) => users.setUserActive(actorOf(req), req.params.id, req.body.isActive, requestMetaOf(req)),
    );
    app.get(
      '/api/admin/audit',
      {
        preHandler: auth.requireRole('admin'),
        schema: {
          tags: ['admin'],
          summary: 'The audit trail, newest first, a page at a time (`{items, nextCursor}`)',
          security: bearer,
          querystring: auditQuery,
          response: { 200: auditReply, 401: p, 403: p },
        },
      },
      async (req) => {
        const { cursor, limit, ...filter } = req.query;
        const before = decodeCursor(cursor, ['instant', 'uuid']) as [string, string] | undefined;
        const db = drizzle(deps.pool, { casing: 'snake_case' });
        const rows = await audit.list(db, { ...filter, limit: limit + 1, ...(before ? { before } : {}) });
        const page = toPage(rows, limit, (r) => [r.cursorAt, r.id]);
        return {
          ...page,
          items: page.items.map(({ cursorAt: _, ...r }) => ({
            ...r,
            occurredAt: r.occurredAt.toISOString(),
          })),
        };
      },
    );
  };
}
