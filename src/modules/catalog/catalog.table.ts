import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.table.js';

export const CONSULTATION_MODES = ['online', 'in_person'] as const;
export const PLAN_CODES = ['none', 'free_trial', 'standard', 'standard_plus', 'vise'] as const;
/** How a plan lets a patient book: see catalog.rules.ts `bookingPolicyFor`. */
export const PLAN_BOOKING_RULES = ['pay_or_refuse', 'pay', 'free_with_relationship'] as const;

export const centres = pgTable('centres', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  city: text().notNull(),
  address: text().notNull(),
  /** IANA zone; in-person appointment times are shown in it. */
  timeZone: text().notNull(),
  isActive: boolean().notNull().default(true),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/** A clinician's public catalog entry: how they consult and what it costs. Id = users.id. */
export const clinicianListings = pgTable(
  'clinician_listings',
  {
    clinicianId: uuid()
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    modes: text({ enum: CONSULTATION_MODES }).array().notNull(),
    feeAmountMinor: integer().notNull(),
    currency: text().notNull(),
    isListed: boolean().notNull().default(true),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('clinician_listings_fee_nonnegative', sql`${t.feeAmountMinor} >= 0`),
    check('clinician_listings_currency', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check('clinician_listings_modes', sql`${t.modes} <@ array['online', 'in_person']::text[]`),
  ],
);

export const clinicianCentres = pgTable(
  'clinician_centres',
  {
    clinicianId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    centreId: uuid()
      .notNull()
      .references(() => centres.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.clinicianId, t.centreId] }),
    index('clinician_centres_centre').on(t.centreId),
  ],
);

export const plans = pgTable(
  'plans',
  {
    code: text({ enum: PLAN_CODES }).primaryKey(),
    name: text().notNull(),
    bookingRule: text({ enum: PLAN_BOOKING_RULES }).notNull(),
    description: text().notNull().default(''),
    /** Billing (0012): price in the deployment currency's minor units; 0 is not for sale (none) or free (trial). */
    priceMinor: integer().notNull().default(0),
    periodDays: integer().notNull().default(30),
    textCredits: integer().notNull().default(0),
    callCredits: integer().notNull().default(0),
    /** What a doctor earns per charged block of this plan's credits. */
    payoutPerBlockMinor: integer().notNull().default(0),
  },
  (t) => [
    check(
      'plans_billing_values',
      sql`${t.priceMinor} >= 0 and ${t.periodDays} > 0 and ${t.textCredits} >= 0 and ${t.callCredits} >= 0 and ${t.payoutPerBlockMinor} >= 0`,
    ),
    // A paid plan can always fund every block it sells: deferred revenue never runs out.
    check(
      'plans_payout_within_price',
      sql`${t.priceMinor} = 0 or ${t.payoutPerBlockMinor} * (${t.textCredits} + ${t.callCredits}) <= ${t.priceMinor}`,
    ),
    check('plans_booking_rule', sql`${t.bookingRule} in ('pay_or_refuse', 'pay', 'free_with_relationship')`),
  ],
);

/** A patient's current plan (one row per patient); buying plans comes with billing. */
export const patientSubscriptions = pgTable(
  'patient_subscriptions',
  {
    patientId: uuid()
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    planCode: text()
      .notNull()
      .references(() => plans.code),
    status: text({ enum: ['active', 'expired', 'cancelled'] }).notNull(),
    /** Null: no end (e.g. set by an admin without a period). */
    periodEnd: timestamp({ withTimezone: true }),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [check('patient_subscriptions_status', sql`${t.status} in ('active', 'expired', 'cancelled')`)],
);

export const doctorPatientRelationships = pgTable(
  'doctor_patient_relationships',
  {
    id: uuid().primaryKey().defaultRandom(),
    clinicianId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    patientId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    source: text({ enum: ['appointment', 'admin'] }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('doctor_patient_relationships_pair').on(t.clinicianId, t.patientId),
    index('doctor_patient_relationships_patient').on(t.patientId),
    check('doctor_patient_relationships_source', sql`${t.source} in ('appointment', 'admin')`),
  ],
);

/** How a catalog service runs: GOPD visits at the desk, or one of the on-demand consultation types. */
export const SERVICE_WORKFLOWS = ['GOPD_CONSULT', 'ONLINE_CHAT', 'ONLINE_VIDEO', 'ONLINE_EMERGENCY'] as const;
/** BEFORE: no consultation until the payment is cleared; AFTER: the consultation starts, payment follows. */
export const BILL_TIMINGS = ['BEFORE', 'AFTER'] as const;

/** The service catalog (seed 002): what the clinic sells, its price and how its workflow runs. */
export const serviceCatalog = pgTable(
  'service_catalog',
  {
    code: text().primaryKey(),
    name: text().notNull(),
    workflowType: text({ enum: SERVICE_WORKFLOWS }).notNull(),
    billTiming: text({ enum: BILL_TIMINGS }).notNull(),
    autoAssignDoctorId: uuid().references(() => users.id, { onDelete: 'set null' }),
    isActive: boolean().notNull().default(true),
    priceMinor: integer().notNull(),
    currency: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    index('service_catalog_workflow').on(t.workflowType, t.isActive),
    check('service_catalog_code', sql`${t.code} ~ '^[A-Z0-9_]{2,40}$'`),
    check(
      'service_catalog_workflow_type',
      sql`${t.workflowType} in ('GOPD_CONSULT', 'ONLINE_CHAT', 'ONLINE_VIDEO', 'ONLINE_EMERGENCY')`,
    ),
    check('service_catalog_bill_timing', sql`${t.billTiming} in ('BEFORE', 'AFTER')`),
    check('service_catalog_price', sql`${t.priceMinor} > 0`),
    check('service_catalog_currency', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    // Money before any on-demand consultation (seed 000): only GOPD may bill after.
    check(
      'service_catalog_online_bills_before',
      sql`${t.workflowType} = 'GOPD_CONSULT' or ${t.billTiming} = 'BEFORE'`,
    ),
  ],
);
