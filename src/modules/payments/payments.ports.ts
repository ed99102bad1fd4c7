import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';
import type { IdentityService } from '../identity/index.js';
import type { MessagingService } from '../messaging/index.js';
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
  /**
   * Money arrived while the payable still waited for it. The answer is the payable's only say:
   * 'refund' (it could not take the money after all) makes payments refund it in full; nothing
   * (void) or 'fulfilled' keeps it. A handler never issues a refund itself.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler with nothing to say returns nothing (kept)
  onSucceeded(tx: Tx, payment: PaymentForHandler): Promise<'fulfilled' | 'refund' | void>;
  onFailed(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onExpired(tx: Tx, payment: PaymentForHandler): Promise<void>;
  /** Money arrived after expiry or failure: fulfil if still possible, else 'refund' (payments refunds). */
  onLate(tx: Tx, payment: PaymentForHandler): Promise<'fulfilled' | 'refund'>;
  /** Optional, for reconciliation: the payable's state and whether it counts itself paid. */
  describe?(payableId: string): Promise<{ state: string; paid: boolean } | null>;
};

/**
 * Told once per refund, in the transaction that records it as processed (whoever reported it: the
 * refund job, a webhook, the reconciler, or a refund made at the gateway). `payment` is the state
 * after this refund. For the ledger (billing); it must not call the gateway.
 */
export type RefundListener = (
  tx: Tx,
  payment: PaymentForHandler & { capturedMinor: number; refundedMinor: number },
  refund: { id: string; amountMinor: number; source: string },
) => Promise<void>;

/**
 * What payments uses of other modules, from their index.ts, narrowed; both required: receipts
 * (payment_received, refund_processed) go through messaging in the payment's transaction, with the
 * patient's name read on that transaction; the gateway customer is made outside any.
 */
export type PaymentsCollaborators = {
  messaging: Pick<MessagingService, 'notify'>;
  identity: Pick<IdentityService, 'getUser' | 'within'>;
};

export type PaymentsDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow' | 'jobs'> &
  PaymentsCollaborators & {
    gateways: Gateways;
    counters: PaymentsCounters;
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
  // The API's field name (api.md); it carries the gateway's payment reference.
  paymentId: p.gatewayPaymentRef,
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
