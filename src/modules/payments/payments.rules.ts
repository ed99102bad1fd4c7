import type { PAYMENT_STATUSES, REFUND_STATUSES } from './payments.table.js';

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/**
 * What a gateway (webhook, client callback or reconciler) told us about a payment.
 * `succeeded` means money captured; `failed` a declined attempt; `expired` the checkout closed unpaid.
 */
export type GatewayOutcome = 'succeeded' | 'failed' | 'expired';

export type PaymentDecision =
  /** Money arrived while the hold was live: SUCCEEDED, payable.onSucceeded. */
  | { action: 'succeed' }
  /** Money arrived after the hold lapsed or after a failure: SUCCEEDED, payable.onLate decides. */
  | { action: 'late' }
  | { action: 'fail' }
  | { action: 'expire' }
  /** Older or repeated news: nothing changes (failed after succeeded, a second success). */
  | { action: 'none'; reason: 'already_paid' | 'attempt_failed' | 'stale_failed' | 'stale_expired' };

/**
 * The payment state machine, in one place:
 *   CREATED -> SUCCEEDED | FAILED | EXPIRED;  SUCCEEDED -> PARTIALLY_REFUNDED -> REFUNDED;
 *   FAILED | EXPIRED -> SUCCEEDED only as late money (Razorpay late authorisation, Stripe after expiry).
 * A hold that lapsed is not a hold even before the expiry job ran, so success at or after
 * `expiresAt` is late.
 */
export function decide(
  p: { status: PaymentStatus; expiresAt: Date },
  outcome: GatewayOutcome,
  now: Date,
  opts: { retryable?: boolean; paidAt?: Date } = {},
): PaymentDecision {
  const live = now.getTime() < p.expiresAt.getTime();
  switch (outcome) {
    case 'succeeded':
      // Money the gateway took before the expiry is on time, whenever we hear of it (issue 12).
      if (p.status === 'CREATED')
        return live || (opts.paidAt && opts.paidAt.getTime() < p.expiresAt.getTime())
          ? { action: 'succeed' }
          : { action: 'late' };
      if (p.status === 'FAILED' || p.status === 'EXPIRED') return { action: 'late' };
      return { action: 'none', reason: 'already_paid' };
    case 'failed':
      // One declined attempt on an order the patient may still retry (Razorpay) ends nothing while
      // the hold is live; the hold's expiry settles it from the gateway's status.
      if (p.status === 'CREATED' && opts.retryable && live)
        return { action: 'none', reason: 'attempt_failed' };
      if (p.status === 'CREATED') return { action: 'fail' };
      return { action: 'none', reason: 'stale_failed' };
    case 'expired':
      if (p.status === 'CREATED') return { action: 'expire' };
      return { action: 'none', reason: 'stale_expired' };
  }
}

/** The gateway amount and currency, when it says them, equal what we asked for. */
export const sameMoney = (
  p: { amountMinor: number; currency: string },
  f: { amountMinor?: number; currency?: string },
) =>
  (f.amountMinor === undefined || f.amountMinor === p.amountMinor) &&
  (f.currency === undefined || f.currency.toUpperCase() === p.currency);

export type AuthorizationDecision =
  | { action: 'capture' }
  /** Never captured: Razorpay releases an uncaptured authorisation by itself (about 3 days). */
  | { action: 'none'; reason: 'already_paid' | 'second_authorization' | 'amount_mismatch' };

/**
 * A Razorpay authorisation (on time, or late after `failed`) is money only once we capture it.
 * Capture it unless the payment is already paid (by this gateway payment or another one on the
 * same order) or the authorised amount differs from ours: capturing either would be money we
 * never credit.
 */
export function decideAuthorization(
  p: {
    status: PaymentStatus;
    gatewayPaymentRef: string | null;
    amountMinor: number;
    currency: string;
  },
  fact: { paymentRef?: string; amountMinor?: number; currency?: string },
): AuthorizationDecision {
  if (PAID_STATUSES.includes(p.status))
    return {
      action: 'none',
      reason:
        fact.paymentRef && fact.paymentRef === p.gatewayPaymentRef ? 'already_paid' : 'second_authorization',
    };
  if (!sameMoney(p, fact)) return { action: 'none', reason: 'amount_mismatch' };
  return { action: 'capture' };
}

/**
 * A success for another gateway payment on an order one of ours already paid (Razorpay: the patient
 * paid twice, in two tabs, or two authorisations were captured at once). Never a second credit.
 */
export const isSecondCapture = (
  p: { status: PaymentStatus; gatewayPaymentRef: string | null },
  fact: { outcome: string; paymentRef?: string },
) =>
  fact.outcome === 'succeeded' &&
  PAID_STATUSES.includes(p.status) &&
  !!fact.paymentRef &&
  !!p.gatewayPaymentRef &&
  fact.paymentRef !== p.gatewayPaymentRef;

/**
 * The extra money of a second capture is recorded as its own payment row of kind `second_capture`
 * (so its refund has its own gateway payment and its own ceiling), keyed by this business key: one
 * row per gateway payment.
 */
export const secondCaptureKey = (provider: string, paymentRef: string) =>
  `second-capture:${provider}:${paymentRef}`;
export const isSecondCaptureRecord = (p: { kind: string }) => p.kind === 'second_capture';

const ALLOWED: Record<PaymentStatus, readonly PaymentStatus[]> = {
  CREATED: ['SUCCEEDED', 'FAILED', 'EXPIRED'],
  FAILED: ['SUCCEEDED'],
  EXPIRED: ['SUCCEEDED'],
  SUCCEEDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  REFUNDED: [],
};

/** Whether a status change is allowed (the database trigger enforces the same table). */
export const canTransition = (from: PaymentStatus, to: PaymentStatus): boolean =>
  from === to || ALLOWED[from].includes(to);

/** The status a paid payment has after refunds; refunds never un-pay it. */
export function statusAfterRefunds(capturedMinor: number, refundedMinor: number): PaymentStatus {
  if (refundedMinor <= 0) return 'SUCCEEDED';
  return refundedMinor >= capturedMinor ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
}

export const PAID_STATUSES: readonly PaymentStatus[] = ['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'];

/** Something that moves a payment (webhook, callback, capture, reconciler, refund confirmation). */
export type PaymentEvent =
  /** Money captured: on time or late (after FAILED or EXPIRED). */
  | { type: 'captured'; at: Date; amountMinor: number; paymentRef: string | null }
  | { type: 'failed'; at: Date; paymentRef: string | null }
  | { type: 'expired' }
  /** A refund of ours (or one seen at the gateway) was confirmed. */
  | { type: 'refund_processed'; amountMinor: number };

/** The columns that go with a status change; nothing else about a payment's state is written. */
export type PaymentStamps = {
  paidAt?: Date;
  capturedMinor?: number;
  failedAt?: Date;
  gatewayPaymentRef?: string | null;
  refundedMinor?: number;
};
export type PaymentTransition<S extends PaymentStatus = PaymentStatus> = { status: S; stamps: PaymentStamps };
export type PaymentTransitionError = {
  error: 'PAYMENT_TRANSITION_INVALID';
  from: PaymentStatus;
  event: PaymentEvent['type'];
};

/**
 * The payment state machine's one transition function: every writer of a payment's status asks it
 * and writes exactly what it returns (the repository's named methods take its result), and the
 * `payments_status_transition` trigger refuses anything else in the database itself.
 */
export function transition(
  p: {
    status: PaymentStatus;
    gatewayPaymentRef: string | null;
    capturedMinor: number;
    refundedMinor: number;
  },
  e: PaymentEvent,
): PaymentTransition | PaymentTransitionError {
  const to = (status: PaymentStatus, stamps: PaymentStamps): PaymentTransition | PaymentTransitionError =>
    p.status !== status && canTransition(p.status, status)
      ? { status, stamps }
      : { error: 'PAYMENT_TRANSITION_INVALID', from: p.status, event: e.type };
  switch (e.type) {
    case 'captured':
      return to('SUCCEEDED', {
        paidAt: e.at,
        capturedMinor: e.amountMinor,
        gatewayPaymentRef: e.paymentRef ?? p.gatewayPaymentRef,
      });
    case 'failed':
      return to('FAILED', { failedAt: e.at, gatewayPaymentRef: p.gatewayPaymentRef ?? e.paymentRef });
    case 'expired':
      return to('EXPIRED', {});
    case 'refund_processed': {
      const refunded = p.refundedMinor + e.amountMinor;
      if (!PAID_STATUSES.includes(p.status) || e.amountMinor <= 0 || refunded > p.capturedMinor)
        return { error: 'PAYMENT_TRANSITION_INVALID', from: p.status, event: e.type };
      // Partial refunds may follow one another (PARTIALLY_REFUNDED again): the amount still moves.
      return { status: statusAfterRefunds(p.capturedMinor, refunded), stamps: { refundedMinor: refunded } };
    }
  }
}

/** The state every payment starts in (the table's defaults). */
export const NEW_PAYMENT = {
  status: 'CREATED',
  gatewayPaymentRef: null,
  capturedMinor: 0,
  refundedMinor: 0,
} as const;

/** The transition, or an exception for a caller that decided (with `decide`) it must be allowed. */
export function mustTransition(
  p: Parameters<typeof transition>[0] & { id: string },
  e: PaymentEvent,
): PaymentTransition {
  const t = transition(p, e);
  if ('error' in t) throw new Error(`payment ${p.id} cannot take ${t.event} from ${t.from}`);
  return t;
}

/** A refund row's own small machine: PENDING -> PROCESSED | FAILED, once. */
export function refundTransition(
  r: { status: RefundStatus },
  outcome: 'processed' | 'failed',
): { status: RefundStatus } | null {
  if (r.status !== 'PENDING') return null;
  return { status: outcome === 'processed' ? 'PROCESSED' : 'FAILED' };
}

export type RefundCheck =
  | { ok: true; amount: number }
  | { ok: false; code: 'PAYMENT_NOT_REFUNDABLE' | 'REFUND_EXCEEDS_PAYMENT' | 'REFUND_AMOUNT_INVALID' };

/**
 * The refund ceiling: processed plus pending refunds never exceed what was captured.
 * `requested` undefined means "everything still refundable".
 */
export function checkRefund(
  p: { status: PaymentStatus; capturedMinor: number; refundedMinor: number; refundPendingMinor: number },
  requested: number | undefined,
): RefundCheck {
  if (!PAID_STATUSES.includes(p.status)) return { ok: false, code: 'PAYMENT_NOT_REFUNDABLE' };
  const refundable = p.capturedMinor - p.refundedMinor - p.refundPendingMinor;
  if (requested !== undefined && (!Number.isSafeInteger(requested) || requested <= 0))
    return { ok: false, code: 'REFUND_AMOUNT_INVALID' };
  const amount = requested ?? refundable;
  if (amount <= 0) return { ok: false, code: 'PAYMENT_NOT_REFUNDABLE' };
  if (amount > refundable) return { ok: false, code: 'REFUND_EXCEEDS_PAYMENT' };
  return { ok: true, amount };
}

/** Stripe requires a Checkout Session to live 30 minutes to 24 hours; a shorter hold is enforced by expiring it. */
export const STRIPE_MIN_SESSION_SECONDS = 30 * 60;
export function stripeSessionExpiry(holdExpiresAt: Date, now: Date): number {
  const min = Math.ceil(now.getTime() / 1000) + STRIPE_MIN_SESSION_SECONDS + 60;
  const max = Math.floor(now.getTime() / 1000) + 24 * 3600 - 60;
  return Math.min(max, Math.max(min, Math.ceil(holdExpiresAt.getTime() / 1000)));
}

export type MismatchCode =
  | 'GATEWAY_PAID_NOT_RECORDED'
  | 'RECORDED_PAID_GATEWAY_NOT'
  | 'AMOUNT_MISMATCH'
  | 'OVERDUE_UNSETTLED'
  | 'PAYABLE_NOT_FULFILLED'
  | 'PAYABLE_PAID_WITHOUT_PAYMENT'
  | 'REFUND_STUCK'
  | 'LATE_REFUND_MISSING'
  | 'SECOND_CAPTURE_NOT_REFUNDED';

export type ReconcileView = {
  status: PaymentStatus;
  amountMinor: number;
  capturedMinor: number;
  refundedMinor: number;
  refundPendingMinor: number;
  expiresAt: Date;
  updatedAt: Date;
  lateOutcome: 'fulfilled' | 'refund' | null;
  gatewayStatus: string | null;
  gatewayAmountMinor: number | null;
  /** The record of a second capture on an order (see `isSecondCaptureRecord`), owed back in full. */
  secondCapture?: boolean;
};

const OVERDUE_MS = 15 * 60_000;
const REFUND_STUCK_MS = 24 * 3600_000;

/** Where the gateway's view, ours and the payable's disagree (GET /api/admin/reconciliation). */
export function findMismatches(
  p: ReconcileView,
  payable: { state: string; paid: boolean } | null | undefined,
  now: Date,
): MismatchCode[] {
  const out: MismatchCode[] = [];
  const stuck = p.refundPendingMinor > 0 && now.getTime() - p.updatedAt.getTime() > REFUND_STUCK_MS;
  if (p.secondCapture) {
    // Money captured twice for one order is listed until its automatic refund is processed.
    if (p.refundedMinor < p.capturedMinor) out.push('SECOND_CAPTURE_NOT_REFUNDED');
    if (stuck) out.push('REFUND_STUCK');
    return out;
  }
  const paid = PAID_STATUSES.includes(p.status);
  if (p.gatewayStatus === 'paid' && !paid) out.push('GATEWAY_PAID_NOT_RECORDED');
  if (paid && p.gatewayStatus && p.gatewayStatus !== 'paid') out.push('RECORDED_PAID_GATEWAY_NOT');
  if (p.gatewayAmountMinor !== null && p.gatewayAmountMinor !== p.amountMinor) out.push('AMOUNT_MISMATCH');
  if (p.status === 'CREATED' && now.getTime() - p.expiresAt.getTime() > OVERDUE_MS)
    out.push('OVERDUE_UNSETTLED');
  const keepsMoney =
    paid && p.lateOutcome !== 'refund' && p.refundedMinor + p.refundPendingMinor < p.capturedMinor;
  if (payable && keepsMoney && !payable.paid) out.push('PAYABLE_NOT_FULFILLED');
  if (payable?.paid && !paid) out.push('PAYABLE_PAID_WITHOUT_PAYMENT');
  if (stuck) out.push('REFUND_STUCK');
  if (p.lateOutcome === 'refund' && p.refundedMinor + p.refundPendingMinor < p.capturedMinor)
    out.push('LATE_REFUND_MISSING');
  return out;
}
