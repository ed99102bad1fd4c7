import { z } from 'zod';
import { boundedInstant } from '../../platform/input.js';
import { moneySchema } from '../../platform/money.js';
import { component } from '../../platform/openapi.js';

export const modeSchema = z.enum(['online', 'in_person']);
export const planCodeSchema = z.enum(['none', 'free_trial', 'standard', 'standard_plus', 'vise']);

export const centreSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  city: z.string(),
  address: z.string(),
  timeZone: z.string().describe('IANA time zone'),
});

export const createCentreBody = z.object({
  name: z.string().trim().min(1).max(200),
  city: z.string().trim().min(1).max(100),
  address: z.string().trim().min(1).max(500),
  timeZone: z.string().trim().min(1).max(64).describe('IANA time zone, e.g. Asia/Kolkata'),
});

export const clinicianSchema = z.object({
  id: z.uuid(),
  fullName: z.string(),
  specialization: z.string(),
  centres: z.array(centreSchema),
  modes: z.array(modeSchema),
  fee: moneySchema,
  timeZone: z.string().describe("IANA zone the clinician's weekly availability is written in"),
  bio: z.string().nullable().describe("The clinician's own words about their practice"),
  languages: z.array(z.string()).describe('Languages the clinician consults in'),
});

export const nextSlotSchema = z
  .object({
    startAt: z.string().describe("ISO 8601 with the clinician's offset, as slot listings write it"),
    endAt: z.string(),
    mode: modeSchema,
    centreId: z.uuid().nullable(),
  })
  .describe(
    'The first slot a patient can book now: not past, not held or booked, within the booking horizon',
  );

/** A clinician as the search shows them: the catalog entry and the next slot one can book. */
export const listedClinicianSchema = clinicianSchema.extend({
  nextAvailableSlot: nextSlotSchema
    .nullable()
    .describe(
      "null when nothing is free within the booking horizon; follows the search's mode (and centre) filter",
    ),
  bookingHorizonDays: z
    .number()
    .int()
    .describe(
      'How many days ahead slots can be booked (BOOKING_HORIZON_DAYS): how far nextAvailableSlot looks',
    ),
});

export const adminClinicianSchema = clinicianSchema.extend({ isListed: z.boolean() });

export const clinicianQuery = z.object({
  specialization: z.string().trim().max(100).optional(),
  centreId: z.uuid().optional(),
  mode: modeSchema.optional(),
  q: z.string().trim().max(100).optional().describe('Matches the name or the specialization'),
});

export const idParams = z.object({ id: z.uuid() });

export const listingBody = z.object({
  modes: z.array(modeSchema).min(1).max(2),
  fee: z.object({
    amount: z.number().int().min(0).max(100_000_000).describe('Minor units'),
    currency: z.string().length(3).toUpperCase(),
  }),
  centreIds: z.array(z.uuid()).max(50).default([]),
  isListed: z.boolean().default(true),
});

export const planSchema = z.object({
  code: planCodeSchema,
  name: z.string(),
  bookingRule: z.enum(['pay_or_refuse', 'pay', 'free_with_relationship']),
  description: z.string(),
  price: moneySchema.describe('0 with `none`: not for sale; 0 otherwise: free (trial)'),
  periodDays: z.number().int(),
  credits: z.object({ text: z.number().int(), call: z.number().int() }),
  payoutPerBlock: moneySchema.describe("What a doctor earns per charged block of this plan's credits"),
  bookingPolicy: z
    .enum(['pay_or_refuse', 'pay', 'free_with_relationship'])
    .describe('How the plan lets a patient book (same as bookingRule)'),
});

export const setPlanBody = z.object({
  planCode: planCodeSchema,
  status: z.enum(['active', 'expired', 'cancelled']).default('active'),
  periodEnd: boundedInstant().nullable().optional(),
});

export const patientPlanReply = z.object({
  patientId: z.uuid(),
  planCode: planCodeSchema,
  status: z.enum(['active', 'expired', 'cancelled']),
  periodEnd: z.string().nullable(),
  effectivePlan: planCodeSchema.describe('The plan bookings use now: `none` once the period has ended'),
});

export const relationshipBody = z.object({ clinicianId: z.uuid(), patientId: z.uuid() });
export const relationshipReply = z.object({
  id: z.uuid(),
  clinicianId: z.uuid(),
  patientId: z.uuid(),
  source: z.enum(['appointment', 'admin']),
  createdAt: z.string(),
  created: z.boolean().describe('False when the relationship already existed'),
});

// Shared components of the OpenAPI document (referenced, not inlined).
component('Centre', centreSchema);
component('Clinician', clinicianSchema);
component('ListedClinician', listedClinicianSchema);
component('NextSlot', nextSlotSchema);
component('Plan', planSchema);
