import { z } from 'zod';
import { pageOf, pageQuery } from '../../platform/paging.js';
import type { SessionRow } from './sessions.repository.js';

const isoDate = z.iso.datetime({ offset: true });

export const startBody = z
  .object({
    clinicianId: z.uuid().optional().describe('Instant session, paid from credits'),
    consultationId: z.uuid().optional(),
    appointmentId: z.uuid().optional().describe('A confirmed appointment: prepaid'),
  })
  .refine((b) => [b.clinicianId, b.consultationId, b.appointmentId].filter(Boolean).length === 1, {
    message: 'give exactly one of clinicianId, consultationId, appointmentId',
  });

export const idParams = z.object({ id: z.uuid() });

export const sessionSchema = z.object({
  id: z.uuid(),
  kind: z.enum(['text', 'call']),
  status: z.enum(['WAITING', 'ACTIVE', 'RINGING', 'CONNECTED', 'ENDED', 'MISSED', 'REJECTED']),
  clinicianId: z.uuid(),
  patientId: z.uuid(),
  funding: z.enum(['credits', 'prepaid']),
  appointmentId: z.uuid().nullable(),
  consultationId: z.uuid().nullable(),
  blockMinutes: z.number().int(),
  activatedAt: isoDate.nullable(),
  connectedAt: isoDate.nullable(),
  endedAt: isoDate.nullable(),
  endReason: z.string().nullable(),
  blocksCharged: z.number().int().describe("Blocks charged so far (seed 003's auto_deductions_processed)"),
  nextBlockAt: isoDate.nullable(),
  createdAt: isoDate,
});
export const sessionReply = z.object({ session: sessionSchema });

export const toSessionView = (s: SessionRow) => ({
  id: s.id,
  kind: s.kind,
  status: s.status,
  clinicianId: s.clinicianId,
  patientId: s.patientId,
  funding: s.funding,
  appointmentId: s.appointmentId,
  consultationId: s.consultationId,
  blockMinutes: s.blockMinutes,
  activatedAt: s.activatedAt?.toISOString() ?? null,
  connectedAt: s.connectedAt?.toISOString() ?? null,
  endedAt: s.endedAt?.toISOString() ?? null,
  endReason: s.endReason,
  blocksCharged: s.blocksCharged,
  nextBlockAt: s.nextBlockAt?.toISOString() ?? null,
  createdAt: s.createdAt.toISOString(),
});

export const messageBody = z.object({ body: z.string().trim().min(1).max(4000) });
export const messageSchema = z.object({
  id: z.uuid(),
  sessionId: z.uuid(),
  senderId: z.uuid(),
  body: z.string(),
  createdAt: isoDate,
});
export const messagesQuery = pageQuery({ defaultLimit: 200, maxLimit: 500 });
export const messagesReply = pageOf(messageSchema);
