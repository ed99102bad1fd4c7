import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.table.js';

export const TRIAGE_STATUSES = ['symptoms_collected', 'payment_pending', 'payment_confirmed'] as const;
export const CLINICAL_STATUSES = [
  'awaiting_symptoms',
  'symptoms_collected',
  'consultation_created',
  'expired',
] as const;
export const CONSULTATION_STATUSES = ['PENDING', 'ACTIVE', 'CLOSED', 'CANCELLED'] as const;
/** Why a PENDING consultation waits. */
export const PENDING_REASONS = ['awaiting_payment', 'awaiting_doctor', 'doctor_review'] as const;
export const CONSULTATION_TYPES = ['chat', 'video', 'emergency', 'gopd'] as const;
export const VISIT_STATUSES = ['OPEN', 'CLOSED'] as const;
export const VISIT_PAYMENT_STATUSES = ['UNPAID', 'PAID', 'REFUNDED'] as const;
export const VISIT_PAYMENT_METHODS = ['CASH', 'CARD', 'UPI', 'GATEWAY'] as const;

/** Seed 000 step 1: what the patient wrote and the preliminary assessment; paid for later. */
export const triageSessions = pgTable(
  'triage_sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    patientId: uuid()
      .notNull()
      .references(() => users.id),
    status: text({ enum: TRIAGE_STATUSES }).notNull(),
    /** TriageInput as given (clinical text: never logged). */
    input: jsonb().notNull(),
    assessment: jsonb().notNull(),
    urgency: text().notNull(),
    consultationType: text({ enum: CONSULTATION_TYPES }),
    paymentId: uuid(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    index('triage_sessions_patient').on(t.patientId, t.createdAt),
    check(
      'triage_sessions_status',
      sql`${t.status} in ('symptoms_collected', 'payment_pending', 'payment_confirmed')`,
    ),
    check(
      'triage_sessions_payment',
      sql`${t.status} = 'symptoms_collected' or (${t.paymentId} is not null and ${t.consultationType} is not null)`,
    ),
  ],
);

/** Seed 000 phase 2: a paid right to one consultation, used once before it expires (else refunded). */
export const clinicalSessions = pgTable(
  'clinical_sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    triageSessionId: uuid()
      .notNull()
      .references(() => triageSessions.id),
    patientId: uuid()
      .notNull()
      .references(() => users.id),
    paymentId: uuid().notNull(),
    status: text({ enum: CLINICAL_STATUSES }).notNull(),
    consultationId: uuid(),
    refundId: uuid(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    // One clinical session per paid triage session: confirm-payment twice finds the first.
    uniqueIndex('clinical_sessions_triage').on(t.triageSessionId),
    index('clinical_sessions_due').on(t.expiresAt).where(sql`${t.status} = 'awaiting_symptoms'`),
    check(
      'clinical_sessions_status',
      sql`${t.status} in ('awaiting_symptoms', 'symptoms_collected', 'consultation_created', 'expired')`,
    ),
    check(
      'clinical_sessions_consultation',
      sql`(${t.status} = 'consultation_created') = (${t.consultationId} is not null)`,
    ),
  ],
);

/** GOPD visits (seed 002): one OPEN visit per patient at a time. */
export const visits = pgTable(
  'visits',
  {
    id: uuid().primaryKey().defaultRandom(),
    patientId: uuid()
      .notNull()
      .references(() => users.id),
    serviceCode: text().notNull(),
    billTiming: text({ enum: ['BEFORE', 'AFTER'] }).notNull(),
    status: text({ enum: VISIT_STATUSES }).notNull(),
    paymentStatus: text({ enum: VISIT_PAYMENT_STATUSES }).notNull(),
    priceMinor: integer().notNull(),
    currency: text().notNull(),
    paymentType: text(),
    chiefComplaint: text(),
    /** The live gateway payment, when the desk chose GATEWAY. */
    gatewayPaymentId: uuid(),
    openedBy: uuid()
      .notNull()
      .references(() => users.id),
    openedAt: timestamp({ withTimezone: true }).notNull(),
    paidAt: timestamp({ withTimezone: true }),
    closedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex('visits_one_open_per_patient').on(t.patientId).where(sql`${t.status} = 'OPEN'`),
    index('visits_opened_at').on(t.openedAt),
    check('visits_status', sql`${t.status} in ('OPEN', 'CLOSED')`),
    check('visits_payment_status', sql`${t.paymentStatus} in ('UNPAID', 'PAID', 'REFUNDED')`),
    check('visits_bill_timing', sql`${t.billTiming} in ('BEFORE', 'AFTER')`),
    check('visits_price', sql`${t.priceMinor} > 0`),
    // A visit never closes unpaid (seed 002, bill_timing AFTER).
    check('visits_closed_paid', sql`${t.status} = 'OPEN' or ${t.paymentStatus} <> 'UNPAID'`),
    check('visits_closed_at', sql`(${t.status} = 'CLOSED') = (${t.closedAt} is not null)`),
    check('visits_paid_at', sql`(${t.paymentStatus} = 'UNPAID') = (${t.paidAt} is null)`),
  ],
);

/** Money taken for a visit at the desk (cash, card, UPI) or through a gateway payment. */
export const visitPayments = pgTable(
  'visit_payments',
  {
    id: uuid().primaryKey().defaultRandom(),
    visitId: uuid()
      .notNull()
      .references(() => visits.id),
    method: text({ enum: VISIT_PAYMENT_METHODS }).notNull(),
    amountMinor: integer().notNull(),
    currency: text().notNull(),
    gatewayPaymentId: uuid(),
    recordedBy: uuid().references(() => users.id),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    // A visit is paid once.
    uniqueIndex('visit_payments_visit').on(t.visitId),
    check('visit_payments_method', sql`${t.method} in ('CASH', 'CARD', 'UPI', 'GATEWAY')`),
    check('visit_payments_amount', sql`${t.amountMinor} > 0`),
    check('visit_payments_gateway', sql`(${t.method} = 'GATEWAY') = (${t.gatewayPaymentId} is not null)`),
  ],
);

export const consultations = pgTable(
  'consultations',
  {
    id: uuid().primaryKey().defaultRandom(),
    patientId: uuid()
      .notNull()
      .references(() => users.id),
    doctorId: uuid().references(() => users.id),
    source: text({ enum: ['on_demand', 'gopd'] }).notNull(),
    consultationType: text({ enum: CONSULTATION_TYPES }).notNull(),
    status: text({ enum: CONSULTATION_STATUSES }).notNull(),
    pendingReason: text({ enum: PENDING_REASONS }),
    billTiming: text({ enum: ['BEFORE', 'AFTER'] }).notNull(),
    /** Money received for it (desk or gateway); a gateway refund is read live from payments. */
    paymentCleared: boolean().notNull(),
    paymentId: uuid(),
    visitId: uuid().references(() => visits.id),
    clinicalSessionId: uuid().references(() => clinicalSessions.id),
    triageSessionId: uuid().references(() => triageSessions.id),
    serviceCode: text(),
    urgency: text(),
    /** Clinical data: every read and write is audited. */
    symptoms: jsonb(),
    aiDiagnosis: jsonb(),
    chiefComplaint: text(),
    notes: text(),
    diagnosis: text(),
    plan: text(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    assignedAt: timestamp({ withTimezone: true }),
    activatedAt: timestamp({ withTimezone: true }),
    closedAt: timestamp({ withTimezone: true }),
    cancelledAt: timestamp({ withTimezone: true }),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    index('consultations_doctor').on(t.doctorId, t.status),
    index('consultations_patient').on(t.patientId, t.createdAt),
    index('consultations_unassigned').on(t.createdAt).where(sql`${t.doctorId} is null`),
    uniqueIndex('consultations_clinical_session').on(t.clinicalSessionId),
    uniqueIndex('consultations_one_per_visit').on(t.visitId).where(sql`${t.status} <> 'CANCELLED'`),
    check('consultations_status', sql`${t.status} in ('PENDING', 'ACTIVE', 'CLOSED', 'CANCELLED')`),
    check('consultations_pending_reason', sql`(${t.status} = 'PENDING') = (${t.pendingReason} is not null)`),
    check(
      'consultations_review_has_doctor',
      sql`${t.pendingReason} is distinct from 'doctor_review' or ${t.doctorId} is not null`,
    ),
    check(
      'consultations_awaiting_doctor_unassigned',
      sql`${t.pendingReason} is distinct from 'awaiting_doctor' or ${t.doctorId} is null`,
    ),
    // Seed 002's payment guard: only AFTER-billed work runs before the money is in.
    check(
      'consultations_active_paid',
      sql`${t.status} not in ('ACTIVE', 'CLOSED') or ${t.paymentCleared} or ${t.billTiming} = 'AFTER'`,
    ),
    check('consultations_closed_by_doctor', sql`${t.status} <> 'CLOSED' or ${t.doctorId} is not null`),
    check('consultations_closed_at', sql`(${t.status} = 'CLOSED') = (${t.closedAt} is not null)`),
    check('consultations_source', sql`${t.source} in ('on_demand', 'gopd')`),
    check(
      'consultations_origin',
      sql`(${t.source} = 'on_demand' and ${t.clinicalSessionId} is not null) or (${t.source} = 'gopd' and ${t.visitId} is not null)`,
    ),
  ],
);
