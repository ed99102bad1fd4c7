import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';
import type { Gateways } from './gateways/index.js';
import type { PaymentsCounters } from './payments.metrics.js';
import type { PaymentRow } from './payments.repository.js';
import type { PAYABLE_KINDS } from './payments.table.js';

export type PayableKind = (typeof PAYABLE_KINDS)[number];

/** The payment object given to payable handlers (module-contracts.md). */
export type PaymentForHandler = {
  id: string;
  payableKind: PayableKind;
  payableId: string;
  patientId: string;
  provider: string;
  orderId: string | null;
  amountMinor: number;
  currency: string;
  status: string;
  expiresAt: Date;
  paidAt: Date | null;
};

/** Called inside the payment's transaction, with the payment row locked. */
export type PayableHandlers = {
  onSucceeded(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onFailed(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onExpired(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onLate(tx: Tx, payment: PaymentForHandler): Promise<'fulfilled' | 'refund'>;
  /** Optional, for reconciliation: the payable's state and whether it counts itself paid. */
  describe?(payableId: string): Promise<{ state: string; paid: boolean } | null>;
};

/** The slice of messaging's `notify` payments uses (receipts). */
export type NotifyPort = (
  tx: Tx,
  req: {
    template: 'payment_received' | 'refund_processed';
    vars: { patientName: string; amount: string; reference: string };
    recipient: { userId?: string; phone?: string; email?: string };
    idempotencyKey: string;
  },
) => Promise<unknown>;

export type UserLookup = (
  id: string,
) => Promise<{ fullName: string | null; phone: string; email: string | null } | null>;

export type PaymentsDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow'> & {
  gateways: Gateways;
  counters: PaymentsCounters;
  notify?: NotifyPort;
  getUser?: UserLookup;
};

export const toHandlerView = (p: PaymentRow): PaymentForHandler => ({
  id: p.id,
  payableKind: p.payableKind,
  payableId: p.payableId,
  patientId: p.patientId,
  provider: p.provider,
  orderId: p.orderId,
  amountMinor: p.amountMinor,
  currency: p.currency,
  status: p.status,
  expiresAt: p.expiresAt,
  paidAt: p.paidAt,
});

/** The payment summary readers get (`getForPayable`, the API). */
export const toSummary = (p: PaymentRow) => ({
  id: p.id,
  payableKind: p.payableKind,
  payableId: p.payableId,
  patientId: p.patientId,
  provider: p.provider,
  orderId: p.orderId,
  paymentId: p.paymentId,
  status: p.status,
  amount: { amount: p.amountMinor, currency: p.currency },
  refunded: { amount: p.refundedMinor, currency: p.currency },
  refundPending: { amount: p.refundPendingMinor, currency: p.currency },
  lateOutcome: p.lateOutcome,
  checkoutUrl: p.checkoutUrl,
  expiresAt: p.expiresAt,
  paidAt: p.paidAt,
  createdAt: p.createdAt,
});
export type PaymentSummary = ReturnType<typeof toSummary>;
