import { z } from 'zod';
import { problemSchema } from '../../platform/errors.js';
import { boundedDate, boundedInstant } from '../../platform/input.js';
import { component } from '../../platform/openapi.js';
import { pageOf, pageQuery } from '../../platform/paging.js';
import { APPOINTMENT_MODES, APPOINTMENT_STATUSES, BOOKING_SOURCES } from './booking.table.js';

const instant = boundedInstant().describe('ISO 8601 instant with offset');
const mode = z.enum(APPOINTMENT_MODES);
const status = z.enum(APPOINTMENT_STATUSES);
const source = z.enum(BOOKING_SOURCES);

export const idParams = z.object({ id: z.uuid() });

export const initiateBody = z.object({
  clinicianId: z.uuid(),
  startAt: instant.describe('The slot start, as slot search lists it'),
  mode,
  centreId: z.uuid().optional().describe('Required to match the slot for in-person appointments, if given'),
  provider: z.enum(['sandbox', 'stripe', 'razorpay']).optional(),
  patientId: z.uuid().optional().describe('Front desk and admins: the patient booked for'),
});

export const confirmBody = z.object({
  appointmentId: z.uuid(),
  provider: z.enum(['sandbox', 'stripe', 'razorpay']),
  orderId: z.string().trim().min(1).max(200),
  paymentId: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe("The gateway's payment id from the checkout callback"),
  signature: z.string().trim().min(1).max(500),
});

export const cancelBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).default({});
export const rescheduleBody = z.object({ startAt: instant });

export const appointmentSchema = z.object({
  id: z.uuid(),
  status,
  startAt: z.date(),
  endAt: z.date(),
  mode,
  patientId: z.uuid(),
  clinicianId: z.uuid(),
  centreId: z.uuid().nullable(),
  holdExpiresAt: z.date().nullable(),
  price: z.object({ amount: z.number().int(), currency: z.string() }),
  paymentId: z.uuid().nullable(),
  source,
  bookedByUserId: z.uuid(),
  cancelReason: z.string().nullable(),
  noShowReview: z.boolean(),
});

export const paymentSchema = z
  .object({
    paymentId: z.string(),
    provider: z.string(),
    orderId: z.string(),
    amount: z.number().int().describe('Minor units'),
    currency: z.string(),
    keyId: z.string().nullish(),
    checkoutUrl: z.string().nullish(),
    expiresAt: z.coerce.date(),
  })
  .describe('Checkout details; the appointment is held until expiresAt');

export const initiateReply = z.object({ appointment: appointmentSchema, payment: paymentSchema.nullable() });

const centreSchema = z.object({
  id: z.string(),
  name: z.string(),
  city: z.string(),
  address: z.string(),
  timeZone: z.string(),
});

export const appointmentViewSchema = z.object({
  id: z.uuid(),
  status,
  startAt: z.date(),
  endAt: z.date(),
  mode,
  patientId: z.uuid(),
  clinician: z.object({ id: z.string(), fullName: z.string(), specialization: z.string() }).nullable(),
  clinicianTimeZone: z.string().describe("The clinician's IANA time zone (the clinic's when unknown)"),
  centre: centreSchema.nullable(),
  payment: z.object({ status: z.string(), amount: z.number().int(), currency: z.string() }).nullable(),
  paymentId: z
    .uuid()
    .nullable()
    .describe("The appointment's current payment (`GET /api/payment/:id`, admin refunds); null when free"),
  meetLink: z.string().nullable(),
  holdExpiresAt: z.date().nullable(),
  source,
  bookedByUserId: z.uuid(),
  cancelReason: z.string().nullable(),
  noShowReview: z.boolean(),
});

export const cancelReply = z.object({
  appointment: appointmentSchema,
  refund: z
    .object({
      refundId: z.string(),
      amount: z.object({ amount: z.number().int(), currency: z.string() }),
      status: z.string(),
    })
    .nullable(),
});

export const patientListQuery = z.object({ scope: z.enum(['upcoming', 'past']).default('upcoming') });
export const clinicianDayQuery = z.object({
  date: boundedDate().optional().describe("A day in the clinician's time zone; today when omitted"),
  clinicianId: z.uuid().optional().describe('Admins and staff: whose day'),
});
export const clinicianDayReply = z.object({
  date: z.string(),
  timeZone: z.string(),
  appointments: z.array(
    appointmentViewSchema.extend({
      patient: z
        .object({ fullName: z.string().nullable() })
        .describe("The patient's name (each read of the day is audited)"),
    }),
  ),
});
export const adminListQuery = z
  .object({
    status: status.optional(),
    clinicianId: z.uuid().optional(),
    patientId: z.uuid().optional(),
    source: source.optional(),
    from: instant.optional(),
    to: instant.optional(),
  })
  .extend(pageQuery().shape);

export const adminListReply = pageOf(appointmentViewSchema);

/** Problem replies a booking route can give, for the OpenAPI document. */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, problemSchema])) as Record<number, typeof problemSchema>;

// Shared components of the OpenAPI document (referenced, not inlined).
component('Appointment', appointmentSchema);
component('BookingCheckout', paymentSchema);
component('AppointmentView', appointmentViewSchema);
