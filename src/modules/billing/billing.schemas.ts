import { z } from 'zod';
import { moneySchema } from '../../platform/money.js';
import { pageQuery } from '../../platform/paging.js';

const isoDate = z.iso.datetime({ offset: true });
export const jsonDates = (value: unknown): never => JSON.parse(JSON.stringify(value)) as never;

export const purchaseBody = z.object({
  planCode: z.string().trim().min(1).max(50),
  provider: z.enum(['sandbox', 'stripe', 'razorpay']).optional(),
});

export const subscriptionSchema = z.object({
  id: z.uuid(),
  planCode: z.string(),
  status: z.enum(['PENDING_PAYMENT', 'ACTIVE', 'EXPIRED', 'FAILED', 'REFUNDED']),
  price: moneySchema,
  periodStart: isoDate.nullable(),
  periodEnd: isoDate.nullable(),
  credits: z.object({ text: z.number().int(), call: z.number().int() }).describe('Credits the plan grants'),
  createdAt: isoDate,
});

export const purchaseReply = z.object({
  subscription: subscriptionSchema,
  payment: z
    .object({
      paymentId: z.uuid(),
      provider: z.string(),
      orderId: z.string(),
      amount: z.number().int(),
      currency: z.string(),
      keyId: z.string().optional(),
      checkoutUrl: z.string().optional(),
      expiresAt: isoDate,
    })
    .nullable()
    .describe('Null for a free plan (active at once)'),
});

export const currentSubscriptionReply = z.object({
  id: z.uuid().optional(),
  plan: z.object({ code: z.string(), name: z.string() }).nullable(),
  status: z.enum(['ACTIVE', 'NONE']),
  periodEnd: isoDate.nullable(),
  credits: z.object({ text: z.number().int(), call: z.number().int() }).describe('Credits left'),
});

export const walletQuery = pageQuery({ defaultLimit: 100, maxLimit: 500 }).extend({
  cursor: pageQuery().shape.cursor.describe('`nextCursor` of the previous reply: older transactions'),
});
export const walletReply = z.object({
  posted: moneySchema.describe('Spendable: posted earnings less payouts and anything owed (may be negative)'),
  pending: moneySchema.describe('Earnings waiting for their session event'),
  owed: moneySchema.describe('Taken back after a payout and not yet recovered from later earnings'),
  transactions: z.array(
    z.object({
      id: z.uuid(),
      amount: moneySchema.describe('Positive into the wallet, negative out of it'),
      kind: z.string(),
      sessionId: z.uuid().nullable(),
      at: isoDate,
    }),
  ),
  nextCursor: z
    .string()
    .nullable()
    .describe('Older transactions: pass as `cursor` (api.md keeps `transactions` an array); null when none'),
});

export const payoutBody = z.object({
  clinicianId: z.uuid(),
  amount: moneySchema.refine((m) => m.amount > 0, { message: 'must be positive', path: ['amount'] }),
  reference: z.string().trim().min(1).max(200),
});
export const payoutReply = z.object({
  id: z.uuid(),
  clinicianId: z.uuid(),
  amount: moneySchema,
  reference: z.string(),
  createdAt: isoDate,
});

export const trialBalanceReply = z.object({
  rows: z.array(
    z.object({
      kind: z.string(),
      currency: z.string().describe('ISO currency, or CREDIT_TEXT / CREDIT_CALL for credit units'),
      accounts: z.number().int(),
      posted: z.number().int().describe('Sum of credits - debits (minor units or credits)'),
      pending: z.number().int(),
    }),
  ),
  totals: z.array(z.object({ currency: z.string(), posted: z.number().int(), pending: z.number().int() })),
  balanced: z.boolean().describe('Every total is zero'),
});

export const ledgerReconciliationReply = z.object({
  balanced: z.boolean().describe('The trial balance sums to zero'),
  mismatches: z.array(
    z.object({
      code: z.enum(['PAYMENT_NOT_IN_LEDGER', 'EARNING_WITHOUT_SESSION', 'LEDGER_UNBALANCED']),
      subscriptionId: z.uuid().optional(),
      transferId: z.uuid().optional(),
      currency: z.string().optional(),
      paymentId: z
        .uuid()
        .optional()
        .describe('A paid appointment or consultation whose money is not in the ledger'),
      payableKind: z.enum(['appointment', 'consultation']).optional(),
      payableId: z.uuid().optional(),
      amount: z.number().int().optional().describe('Captured, minor units'),
    }),
  ),
});
