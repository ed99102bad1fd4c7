import { sql } from 'drizzle-orm';
import {
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

export const PAYMENT_STATUSES = [
  'CREATED',
  'SUCCEEDED',
  'FAILED',
  'EXPIRED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
] as const;
export const PROVIDERS = ['sandbox', 'stripe', 'razorpay'] as const;
export const PAYABLE_KINDS = ['appointment', 'consultation', 'visit', 'subscription'] as const;
export const REFUND_STATUSES = ['PENDING', 'PROCESSED', 'FAILED'] as const;
/** `primary`: the payable's own payment; `second_capture`: extra money captured on its order, refunded in full. */
export const PAYMENT_KINDS = ['primary', 'second_capture'] as const;

/**
 * One attempt to collect money for one payable. Money columns are integer minor units.
 * `refundedMinor` counts processed refunds, `refundPendingMinor` refunds asked of the gateway
 * but not yet confirmed; together they never exceed `capturedMinor` (the refund ceiling).
 */
export const payments = pgTable(
  'payments',
  {
    id: uuid().primaryKey().defaultRandom(),
    patientId: uuid()
      .notNull()
      .references(() => users.id),
    payableKind: text({ enum: PAYABLE_KINDS }).notNull(),
    payableId: uuid().notNull(),
    provider: text({ enum: PROVIDERS }).notNull(),
    kind: text({ enum: PAYMENT_KINDS }).notNull().default('primary'),
    /** Gateway order: Razorpay order id, Stripe Checkout Session id, sandbox checkout id. */
    orderId: text(),
    /**
     * The gateway's payment reference (Razorpay payment id, Stripe PaymentIntent id, sandbox payment
     * id), never our own id; the column keeps its name `payment_id`, the API its field `paymentId`.
     */
    gatewayPaymentRef: text('payment_id'),
    amountMinor: integer().notNull(),
    currency: text().notNull(),
    status: text({ enum: PAYMENT_STATUSES }).notNull().default('CREATED'),
    description: text().notNull(),
    idempotencyKey: text().notNull(),
    checkoutUrl: text(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    paidAt: timestamp({ withTimezone: true }),
    failedAt: timestamp({ withTimezone: true }),
    capturedMinor: integer().notNull().default(0),
    refundedMinor: integer().notNull().default(0),
    refundPendingMinor: integer().notNull().default(0),
    /** Money that arrived after the payable gave up its hold has exactly one outcome. */
    lateOutcome: text({ enum: ['fulfilled', 'refund'] }),
    /** Last thing the gateway told us (webhook, callback or reconciler), for reconciliation. */
    gatewayStatus: text(),
    gatewayAmountMinor: integer(),
    gatewayCheckedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('payments_idempotency_key').on(t.idempotencyKey),
    uniqueIndex('payments_provider_order').on(t.provider, t.orderId),
    uniqueIndex('payments_provider_payment').on(t.provider, t.gatewayPaymentRef),
    index('payments_payable').on(t.payableKind, t.payableId),
    index('payments_patient').on(t.patientId, t.createdAt),
    index('payments_status_expires').on(t.status, t.expiresAt),
    // Admins' payments list: newest first by (createdAt, id), all or one status (read backwards).
    index('payments_created').on(t.createdAt, t.id),
    index('payments_status_created').on(t.status, t.createdAt, t.id),
    check(
      'payments_status_check',
      sql`${t.status} in ('CREATED', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'PARTIALLY_REFUNDED', 'REFUNDED')`,
    ),
    check('payments_provider_check', sql`${t.provider} in ('sandbox', 'stripe', 'razorpay')`),
    check('payments_kind_check', sql`${t.kind} in ('primary', 'second_capture')`),
    check('payments_amount_positive', sql`${t.amountMinor} > 0`),
    check('payments_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check(
      'payments_refund_ceiling',
      sql`${t.refundedMinor} >= 0 and ${t.refundPendingMinor} >= 0 and ${t.refundedMinor} + ${t.refundPendingMinor} <= ${t.capturedMinor}`,
    ),
    check(
      'payments_captured_when_paid',
      sql`(${t.status} in ('SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED')) = (${t.capturedMinor} > 0 and ${t.paidAt} is not null)`,
    ),
    check(
      'payments_refund_status',
      sql`(${t.status} = 'REFUNDED') = (${t.capturedMinor} > 0 and ${t.refundedMinor} = ${t.capturedMinor})
        and (${t.status} = 'PARTIALLY_REFUNDED') = (${t.refundedMinor} > 0 and ${t.refundedMinor} < ${t.capturedMinor})`,
    ),
  ],
);

export const refunds = pgTable(
  'refunds',
  {
    id: uuid().primaryKey().defaultRandom(),
    paymentId: uuid()
      .notNull()
      .references(() => payments.id),
    amountMinor: integer().notNull(),
    currency: text().notNull(),
    status: text({ enum: REFUND_STATUSES }).notNull().default('PENDING'),
    /**
     * Why: admin, payable (e.g. cancellation), late payment, seen first at the gateway, or a
     * duplicate (a second capture on one order).
     */
    source: text({ enum: ['admin', 'payable', 'late', 'gateway', 'duplicate'] }).notNull(),
    reason: text().notNull(),
    idempotencyKey: text().notNull(),
    gatewayRefundId: text(),
    failureReason: text(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    processedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex('refunds_idempotency_key').on(t.idempotencyKey),
    uniqueIndex('refunds_gateway_refund').on(t.paymentId, t.gatewayRefundId),
    index('refunds_payment').on(t.paymentId),
    check('refunds_amount_positive', sql`${t.amountMinor} > 0`),
    check('refunds_status_check', sql`${t.status} in ('PENDING', 'PROCESSED', 'FAILED')`),
  ],
);

/** The webhook inbox: each (provider, event id) is applied at most once. */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: uuid().primaryKey().defaultRandom(),
    provider: text({ enum: PROVIDERS }).notNull(),
    eventId: text().notNull(),
    type: text().notNull(),
    payload: jsonb().notNull(),
    paymentId: uuid().references(() => payments.id),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    processedAt: timestamp({ withTimezone: true }),
    /** applied | no_change | ignored | unknown_object | ... */
    outcome: text(),
  },
  (t) => [
    uniqueIndex('webhook_events_provider_event').on(t.provider, t.eventId),
    index('webhook_events_payment').on(t.paymentId),
  ],
);

/** A gateway customer per patient (Stripe: created once and reused). */
export const paymentCustomers = pgTable(
  'payment_customers',
  {
    patientId: uuid()
      .notNull()
      .references(() => users.id),
    provider: text({ enum: PROVIDERS }).notNull(),
    customerRef: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('payment_customers_patient_provider').on(t.patientId, t.provider)],
);

/** The built-in sandbox gateway's own state: what a real gateway keeps on its side. */
export const sandboxCheckouts = pgTable(
  'sandbox_checkouts',
  {
    id: text().primaryKey(),
    amountMinor: integer().notNull(),
    currency: text().notNull(),
    description: text().notNull(),
    status: text({ enum: ['open', 'paid', 'failed', 'expired'] })
      .notNull()
      .default('open'),
    paymentRef: text(),
    refundedMinor: integer().notNull().default(0),
    /** Refunds already applied, so a retried refund call is applied once. */
    refundIds: text().array().notNull().default(sql`'{}'::text[]`),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    completedAt: timestamp({ withTimezone: true }),
  },
  (t) => [check('sandbox_checkouts_status_check', sql`${t.status} in ('open', 'paid', 'failed', 'expired')`)],
);
