import { z } from 'zod';
import { boundedInstant } from '../../platform/input.js';
import { moneySchema } from '../../platform/money.js';
import { component } from '../../platform/openapi.js';
import { pageOf, pageQuery } from '../../platform/paging.js';
import { PAYABLE_KINDS, PAYMENT_STATUSES, PROVIDERS } from './payments.table.js';

const id = z.string().trim().min(1).max(200);
const isoDate = z.iso.datetime({ offset: true });

/** Dates leave as ISO strings (what the response schemas declare). */
export const jsonDates = (value: unknown): never => JSON.parse(JSON.stringify(value)) as never;

export const providerSchema = z.enum(PROVIDERS);
export const payableKindSchema = z.enum(PAYABLE_KINDS);

export const createOrderBody = z.object({
  payableKind: payableKindSchema,
  payableId: z.uuid(),
  provider: providerSchema.optional(),
});

export const checkoutSchema = z
  .object({
    paymentId: z.uuid(),
    provider: providerSchema,
    orderId: z.string(),
    amount: z.number().int().describe('Minor units'),
    currency: z.string().length(3),
    keyId: z.string().optional().describe('Razorpay key id for the checkout widget'),
    checkoutUrl: z.string().optional().describe('Hosted checkout page (Stripe, sandbox)'),
    expiresAt: isoDate,
  })
  .describe('What the client needs to open the gateway checkout');

export const verifyBody = z.object({
  payableKind: payableKindSchema,
  payableId: z.uuid(),
  provider: providerSchema,
  orderId: id.describe('The gateway order id (Razorpay order, Stripe session, sandbox checkout)'),
  paymentId: id.describe("The gateway's payment id from the checkout callback"),
  signature: z.string().trim().max(500).default('').describe('Razorpay/sandbox callback signature'),
});

export const paymentSummarySchema = z.object({
  id: z.uuid(),
  payableKind: payableKindSchema,
  payableId: z.uuid(),
  provider: providerSchema,
  orderId: z.string().nullable(),
  paymentId: z.string().nullable(),
  status: z.enum(PAYMENT_STATUSES),
  amount: moneySchema,
  refunded: moneySchema,
  refundPending: moneySchema,
  lateOutcome: z.enum(['fulfilled', 'refund']).nullable(),
  checkoutUrl: z.string().nullable(),
  expiresAt: isoDate,
  paidAt: isoDate.nullable(),
  createdAt: isoDate,
});

/** 202 from /api/payment/verify: authorised at the gateway, captured by a job, then SUCCEEDED. */
export const verifyPendingReply = paymentSummarySchema
  .extend({
    awaiting: z
      .literal('capture')
      .describe('The gateway holds the money; our capture job completes the payment shortly.'),
  })
  .describe('A valid callback for money not captured yet: the payment is still unpaid');

export const refundSchema = z.object({
  id: z.uuid(),
  paymentId: z.uuid(),
  amountMinor: z.number().int(),
  currency: z.string(),
  status: z.enum(['PENDING', 'PROCESSED', 'FAILED']),
  source: z.enum(['admin', 'payable', 'late', 'gateway', 'duplicate']),
  reason: z.string(),
  gatewayRefundId: z.string().nullable(),
  createdAt: isoDate,
  processedAt: isoDate.nullable(),
});

export const refundBody = z.object({
  amount: z
    .number()
    .int()
    .positive()
    .max(100_000_000)
    .optional()
    .describe('Minor units; default: all that is left'),
  reason: z.string().trim().min(1).max(500),
  idempotencyKey: z
    .string()
    .trim()
    .min(8)
    .max(200)
    .describe('Same key, same refund: a retry never refunds twice'),
});

export const refundReply = z.object({ refundId: z.uuid(), amount: z.number().int(), status: z.string() });

export const webhookReply = z.object({ received: z.literal(true), eventId: z.string(), outcome: z.string() });

/** The ledger's side of reconciliation (billing fills it through `addToReconciliation`). */
export const ledgerReconciliationSchema = z.object({
  balanced: z.boolean(),
  mismatches: z.array(
    z.object({
      code: z.string(),
      subscriptionId: z.string().optional(),
      transferId: z.string().optional(),
      currency: z.string().optional(),
      paymentId: z.string().optional(),
      payableKind: z.string().optional(),
      payableId: z.string().optional(),
      amount: z.number().int().optional(),
    }),
  ),
});
export type LedgerReconciliation = z.infer<typeof ledgerReconciliationSchema>;

export const reconciliationReply = z.object({
  generatedAt: isoDate,
  ledger: ledgerReconciliationSchema.optional().describe('Present when the billing ledger is wired'),
  mismatches: z.array(
    z.object({
      paymentId: z.uuid(),
      payableKind: payableKindSchema,
      payableId: z.uuid(),
      provider: providerSchema,
      orderId: z.string().nullable(),
      status: z.enum(PAYMENT_STATUSES),
      gatewayStatus: z.string().nullable(),
      payableState: z.string().nullable(),
      amount: moneySchema,
      gatewayAmount: moneySchema.nullable(),
      refunded: moneySchema,
      mismatches: z.array(z.string()),
    }),
  ),
});

export const adminPaymentsQuery = pageQuery().extend({
  status: z.enum(PAYMENT_STATUSES).optional(),
  from: boundedInstant().optional().describe('Created at or after this instant'),
  to: boundedInstant().optional().describe('Created before this instant'),
});
export const adminPaymentsReply = pageOf(paymentSummarySchema);

export const idParams = z.object({ id: z.uuid() });
export const sandboxParams = z.object({ id: z.string().regex(/^sbx_[0-9a-f]{32}$/) });

// Shared components of the OpenAPI document (referenced, not inlined).
component('Checkout', checkoutSchema);
component('Payment', paymentSummarySchema);
component('Refund', refundSchema);
