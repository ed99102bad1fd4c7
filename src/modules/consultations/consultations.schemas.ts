import { z } from 'zod';
import { problemSchema } from '../../platform/errors.js';
import { moneySchema } from '../../platform/money.js';
import { pageOf, pageQuery } from '../../platform/paging.js';
import {
  CONSULTATION_STATUSES,
  CONSULTATION_TYPES,
  PENDING_REASONS,
  VISIT_PAYMENT_METHODS,
  VISIT_PAYMENT_STATUSES,
  VISIT_STATUSES,
} from './consultations.table.js';

const urgency = z.enum(['emergency', 'urgent', 'routine', 'self_care']);
const onlineType = z.enum(['chat', 'video', 'emergency']);
const provider = z.enum(['sandbox', 'stripe', 'razorpay']);

const triageFields = {
  description: z.string().trim().min(3).max(4000).describe("The patient's own words"),
  symptoms: z.array(z.string().trim().min(1).max(200)).max(30).optional(),
  age: z.number().int().min(0).max(120).optional(),
  gender: z.enum(['female', 'male', 'other']).optional(),
  durationDays: z.number().int().min(0).max(3650).optional(),
};
export const collectBody = z.object(triageFields);
export const detailedBody = z.object({ clinicalSessionId: z.uuid(), ...triageFields });

export const collectReply = z.object({
  sessionId: z.uuid(),
  preliminaryDiagnosis: z.object({
    possible_diagnoses: z.array(z.string()).max(5).describe('Ranked, most likely first'),
    confidence_score: z.number().min(0).max(1),
    urgency,
    red_flags: z.array(z.string()),
    advice: z.string(),
  }),
  recommendedConsultationTypes: z.array(onlineType),
  disclaimer: z.string(),
  nextStep: z
    .object({ endpoint: z.string(), sessionId: z.uuid() })
    .nullable()
    .describe('null for an emergency: call emergency services, no payment is offered'),
});

export const selectBody = z.object({
  sessionId: z.uuid(),
  consultationType: onlineType,
  provider: provider.optional(),
});
export const checkoutSchema = z.object({
  paymentId: z.string(),
  provider: z.string(),
  orderId: z.string(),
  amount: z.number().int().describe('Minor units'),
  currency: z.string(),
  keyId: z.string().nullish(),
  checkoutUrl: z.string().nullish(),
  expiresAt: z.coerce.date(),
});
export const selectReply = z.object({
  sessionId: z.uuid(),
  paymentStatus: z.literal('pending'),
  payment: checkoutSchema,
});

export const confirmBody = z.object({
  sessionId: z.uuid(),
  paymentId: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe("Our payment id, or the gateway's from the checkout callback"),
  orderId: z.string().trim().min(1).max(200).optional(),
  signature: z.string().trim().min(1).max(500).optional(),
});
export const confirmReply = z
  .object({
    sessionId: z.uuid(),
    paymentStatus: z.literal('confirmed'),
    paymentId: z.string(),
    clinicalSessionId: z.uuid(),
    amount: z
      .number()
      .describe('MAJOR units (299 = INR 299.00), as seed 000 shows; everywhere else money is in minor units'),
    currency: z.string(),
    message: z.string(),
    nextStep: z.object({ endpoint: z.string(), clinicalSessionId: z.uuid() }),
    clinicalSessionExpiresAt: z.date(),
  })
  .describe("Seed 000's Phase 1 reply");

export const detailedReply = z
  .object({
    consultationId: z.uuid(),
    sessionId: z.uuid(),
    clinicalSessionId: z.uuid(),
    aiDiagnosis: z.object({
      possible_diagnoses: z.array(z.string()),
      confidence_score: z.number(),
      treatment_recommendations: z.object({
        advice: z.string(),
        urgency,
        red_flags: z.array(z.string()),
        recommended_consultation_types: z.array(onlineType),
      }),
    }),
    assignedDoctor: z
      .object({ doctorId: z.uuid(), name: z.string(), shift: z.string() })
      .nullable()
      .describe('null when nobody is on shift: the consultation waits in the shared queue'),
    consultationStatus: z.enum(['doctor_review_pending', 'awaiting_doctor']),
    message: z.string(),
    disclaimer: z.string(),
  })
  .describe("Seed 000's Phase 2 reply");

export const consultationSummary = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  doctorId: z.uuid().nullable(),
  source: z.enum(['on_demand', 'gopd']),
  consultationType: z.enum(CONSULTATION_TYPES),
  status: z.enum(CONSULTATION_STATUSES),
  pendingReason: z.enum(PENDING_REASONS).nullable(),
  billTiming: z.enum(['BEFORE', 'AFTER']),
  paymentCleared: z.boolean(),
  visitId: z.uuid().nullable(),
  serviceCode: z.string().nullable(),
  urgency: z.string().nullable(),
  createdAt: z.date(),
  assignedAt: z.date().nullable(),
  activatedAt: z.date().nullable(),
  closedAt: z.date().nullable(),
});
export const consultationPage = pageOf(consultationSummary);
export const consultationDetail = consultationSummary.extend({
  symptoms: z.unknown().describe('What the patient wrote (preliminary and detailed)'),
  aiDiagnosis: z.unknown(),
  chiefComplaint: z.string().nullable(),
  notes: z.string().nullable(),
  diagnosis: z.string().nullable(),
  plan: z.string().nullable(),
});
export const assignBody = z.object({ doctorId: z.uuid() });
export const notesBody = z.object({
  notes: z.string().trim().max(20_000),
  diagnosis: z.string().trim().max(2000).optional(),
  plan: z.string().trim().max(5000).optional(),
});

export const visitSchema = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  serviceCode: z.string(),
  billTiming: z.enum(['BEFORE', 'AFTER']),
  status: z.enum(VISIT_STATUSES),
  paymentStatus: z.enum(VISIT_PAYMENT_STATUSES),
  price: moneySchema,
  paymentType: z.string().nullable(),
  openedAt: z.date(),
  paidAt: z.date().nullable(),
  closedAt: z.date().nullable(),
});
export const visitBody = z.object({
  patientId: z.uuid(),
  serviceCode: z.string().trim().min(2).max(40),
  paymentType: z
    .enum(VISIT_PAYMENT_METHODS)
    .optional()
    .describe('How the patient means to pay (informational)'),
  chiefComplaint: z
    .string()
    .trim()
    .max(1000)
    .optional()
    .describe(
      'Clinical text: stored on the visit and its consultation, read back only through the audited consultation',
    ),
});
export const visitReply = z.object({
  visit: visitSchema,
  consultation: consultationSummary.nullable().describe('null until paid when the service bills BEFORE'),
});
export const visitPaymentBody = z.object({
  amount: moneySchema,
  method: z.enum(VISIT_PAYMENT_METHODS),
  provider: provider.optional().describe('GATEWAY only'),
});
export const visitPaymentReply = visitReply.extend({
  payment: z.object({
    method: z.enum(VISIT_PAYMENT_METHODS),
    status: z
      .enum(['PAID', 'PENDING'])
      .describe('PENDING: a gateway checkout is open; the visit is paid when it succeeds'),
    amount: moneySchema,
    checkout: checkoutSchema.nullable(),
  }),
});
export const visitListQuery = z.object({
  date: z.iso.date().describe("A day in the clinic's zone (CLINIC_TIME_ZONE)"),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(100).optional(),
});

export const idParams = z.object({ id: z.uuid() });

export const consultationListQuery = pageQuery({ defaultLimit: 100, maxLimit: 200 });

export const problems = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, problemSchema])) as Record<number, typeof problemSchema>;
