import { drizzle } from 'drizzle-orm/node-postgres';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { audit, requestMetaOf } from './audit.js';
import type { Pool } from './db/pool.js';

type AuditedRead = { action: string; resourceType: string; idParam?: string; idQuery?: string };

/**
 * Reads of other people's appointments and payments by the clinic's staff and admins, audited like
 * profile reads. Keyed by method and route (api.md never renames a path), so no route can forget.
 */
export const AUDITED_READS: Record<string, AuditedRead> = {
  'GET /api/admin/appointments': {
    action: 'appointment.list',
    resourceType: 'appointment',
    idQuery: 'clinicianId',
  },
  'GET /api/clinician/appointments': {
    action: 'appointment.list',
    resourceType: 'appointment',
    idQuery: 'clinicianId',
  },
  'GET /api/patient-dashboard/appointments/:id': {
    action: 'appointment.read',
    resourceType: 'appointment',
    idParam: 'id',
  },
  'GET /api/payment/:id': { action: 'payment.read', resourceType: 'payment', idParam: 'id' },
  'GET /api/admin/payments/:id/refunds': {
    action: 'payment.refunds.read',
    resourceType: 'payment',
    idParam: 'id',
  },
  'GET /api/admin/payments': { action: 'payment.list', resourceType: 'payment' },
  'GET /api/admin/reconciliation': { action: 'payment.reconciliation.read', resourceType: 'payment' },
};

const AUDITED_ROLES = new Set(['staff', 'admin']);

const field = (source: unknown, name?: string): string | null => {
  if (!name || !source || typeof source !== 'object') return null;
  const v = (source as Record<string, unknown>)[name];
  return typeof v === 'string' ? v.slice(0, 100) : null;
};

/** Writes the audit row before a successful reply leaves; if it cannot be written, nothing is sent. */
export function auditStaffReads(app: FastifyInstance, pool: Pool): void {
  const db = drizzle(pool, { casing: 'snake_case' });
  app.addHook('preSerialization', async (req: FastifyRequest, reply, payload) => {
    const read = AUDITED_READS[`${req.method} ${req.routeOptions.url}`];
    const actor = req.actor;
    if (!read || !actor || !AUDITED_ROLES.has(actor.role) || reply.statusCode >= 300) return payload;
    await audit.record(
      { db },
      {
        ...requestMetaOf(req),
        actor,
        action: read.action,
        resourceType: read.resourceType,
        resourceId: field(req.params, read.idParam) ?? field(req.query, read.idQuery),
      },
    );
    return payload;
  });
}
