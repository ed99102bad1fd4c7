import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.table.js';

/**
 * Account kinds. Every balance is `credits - debits`; a transfer debits one account and credits
 * another, so per currency (or credit unit) all balances sum to zero.
 */
export const ACCOUNT_KINDS = [
  'gateway_clearing',
  'patient_escrow',
  'patient_credits',
  'credit_issuance',
  'deferred_revenue',
  'platform_revenue',
  'doctor_wallet',
  'doctor_recovery',
  'payouts',
  'refunds',
] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** pending: first phase; posted: single phase; post_pending / void_pending resolve a pending one. */
export const TRANSFER_FLAGS = ['posted', 'pending', 'post_pending', 'void_pending'] as const;
export type TransferFlag = (typeof TRANSFER_FLAGS)[number];

const big = (name?: string) => (name ? bigint(name, { mode: 'number' }) : bigint({ mode: 'number' }));

/**
 * A ledger account. Its four totals are kept by the `ledger_apply_transfer` trigger in the same
 * statement that inserts the transfer, so a balance is always the fold of its entries; the CHECK
 * limits then hold under any concurrency (the account row is the lock).
 */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: uuid().primaryKey().defaultRandom(),
    kind: text({ enum: ACCOUNT_KINDS }).notNull(),
    /** The patient or doctor the account belongs to; null for platform accounts. */
    ownerId: uuid().references(() => users.id),
    /** What the account is for: the payable (escrow), the subscription (credits, deferred revenue); '' when none. */
    ref: text().notNull().default(''),
    /** ISO currency for money, `CREDIT_TEXT` / `CREDIT_CALL` for credit units. */
    currency: text().notNull(),
    /** Debits (pending counted) may not exceed posted credits: the balance never goes below zero. */
    noOverdraft: boolean().notNull().default(false),
    postedDebits: big().notNull().default(0),
    postedCredits: big().notNull().default(0),
    pendingDebits: big().notNull().default(0),
    pendingCredits: big().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    unique('ledger_accounts_identity').on(t.kind, t.ownerId, t.ref, t.currency).nullsNotDistinct(),
    index('ledger_accounts_owner').on(t.ownerId),
    check(
      'ledger_accounts_kind',
      sql`${t.kind} in ('gateway_clearing', 'patient_escrow', 'patient_credits', 'credit_issuance', 'deferred_revenue', 'platform_revenue', 'doctor_wallet', 'doctor_recovery', 'payouts', 'refunds')`,
    ),
    check('ledger_accounts_currency', sql`${t.currency} ~ '^([A-Z]{3}|CREDIT_TEXT|CREDIT_CALL)$'`),
    check(
      'ledger_accounts_totals_nonnegative',
      sql`${t.postedDebits} >= 0 and ${t.postedCredits} >= 0 and ${t.pendingDebits} >= 0 and ${t.pendingCredits} >= 0`,
    ),
    check(
      'ledger_accounts_no_overdraft',
      sql`not ${t.noOverdraft} or ${t.postedDebits} + ${t.pendingDebits} <= ${t.postedCredits}`,
    ),
  ],
);

/**
 * Immutable entries (UPDATE, DELETE and TRUNCATE are refused by triggers). A pending transfer is
 * resolved by a later `post_pending` or `void_pending` row naming it in `pendingId`; the unique
 * index makes that happen at most once, and the trigger refuses to post an expired one.
 */
export const ledgerTransfers = pgTable(
  'ledger_transfers',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** An existing account: checked by the `ledger_apply_transfer` trigger (no foreign key, see 0020). */
    debitAccountId: uuid().notNull(),
    creditAccountId: uuid().notNull(),
    amount: big().notNull(),
    currency: text().notNull(),
    flag: text({ enum: TRANSFER_FLAGS }).notNull(),
    pendingId: uuid(),
    /** A pending transfer cannot be posted at or after this instant. */
    expiresAt: timestamp({ withTimezone: true }),
    idempotencyKey: text().notNull(),
    /** SHA-256 of the transfer's content: the same key with other content is a conflict. */
    contentHash: text().notNull(),
    /** Why the money moved: `text_block`, `subscription_payment`, `payout`, ... */
    cause: text().notNull(),
    sessionId: uuid(),
    subscriptionId: uuid(),
    payableKind: text(),
    payableId: uuid(),
    paymentId: uuid(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('ledger_transfers_idempotency_key').on(t.idempotencyKey),
    // Partial where most rows hold null (a block's transfers have no pending id and no payable).
    uniqueIndex('ledger_transfers_resolves_once').on(t.pendingId).where(sql`${t.pendingId} is not null`),
    index('ledger_transfers_debit').on(t.debitAccountId, t.createdAt),
    index('ledger_transfers_credit').on(t.creditAccountId, t.createdAt),
    index('ledger_transfers_session').on(t.sessionId).where(sql`${t.sessionId} is not null`),
    index('ledger_transfers_payable').on(t.payableKind, t.payableId).where(sql`${t.payableId} is not null`),
    check('ledger_transfers_amount_positive', sql`${t.amount} > 0`),
    check('ledger_transfers_distinct_accounts', sql`${t.debitAccountId} <> ${t.creditAccountId}`),
    check('ledger_transfers_flag', sql`${t.flag} in ('posted', 'pending', 'post_pending', 'void_pending')`),
    check(
      'ledger_transfers_pending_link',
      sql`(${t.pendingId} is not null) = (${t.flag} in ('post_pending', 'void_pending'))`,
    ),
  ],
);

export const SUBSCRIPTION_STATUSES = ['PENDING_PAYMENT', 'ACTIVE', 'EXPIRED', 'FAILED', 'REFUNDED'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** One purchase of a plan: its period and the credits granted for it. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid().primaryKey().defaultRandom(),
    patientId: uuid()
      .notNull()
      .references(() => users.id),
    planCode: text().notNull(),
    status: text({ enum: SUBSCRIPTION_STATUSES }).notNull(),
    priceMinor: integer().notNull(),
    currency: text().notNull(),
    periodDays: integer().notNull(),
    textCredits: integer().notNull(),
    callCredits: integer().notNull(),
    payoutPerBlockMinor: integer().notNull(),
    paymentId: uuid(),
    idempotencyKey: text().notNull(),
    periodStart: timestamp({ withTimezone: true }),
    periodEnd: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('subscriptions_idempotency_key').on(t.idempotencyKey),
    // At most one active subscription per patient: deductions know which credits to take.
    uniqueIndex('subscriptions_one_active').on(t.patientId).where(sql`${t.status} = 'ACTIVE'`),
    index('subscriptions_period_end').on(t.status, t.periodEnd),
    check(
      'subscriptions_status',
      sql`${t.status} in ('PENDING_PAYMENT', 'ACTIVE', 'EXPIRED', 'FAILED', 'REFUNDED')`,
    ),
    check('subscriptions_active_has_period', sql`${t.status} <> 'ACTIVE' or ${t.periodEnd} is not null`),
  ],
);

/** An admin-recorded payout to a doctor; each session's earning is paid out at most once. */
export const payouts = pgTable(
  'payouts',
  {
    id: uuid().primaryKey().defaultRandom(),
    clinicianId: uuid()
      .notNull()
      .references(() => users.id),
    amountMinor: integer().notNull(),
    currency: text().notNull(),
    reference: text().notNull(),
    idempotencyKey: text().notNull(),
    createdByUserId: uuid()
      .notNull()
      .references(() => users.id),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('payouts_idempotency_key').on(t.idempotencyKey),
    index('payouts_clinician').on(t.clinicianId, t.createdAt),
    check('payouts_amount_positive', sql`${t.amountMinor} > 0`),
  ],
);

/** Which earning transfers a payout covered: a transfer is in at most one payout. */
export const payoutItems = pgTable(
  'payout_items',
  {
    payoutId: uuid()
      .notNull()
      .references(() => payouts.id),
    transferId: uuid()
      .notNull()
      .references(() => ledgerTransfers.id),
    amountMinor: integer().notNull(),
  },
  (t) => [uniqueIndex('payout_items_transfer').on(t.transferId), index('payout_items_payout').on(t.payoutId)],
);
