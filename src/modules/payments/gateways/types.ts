import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../../../platform/errors.js';
import type { GatewayOutcome } from '../payments.rules.js';
import type { PROVIDERS } from '../payments.table.js';

export type Provider = (typeof PROVIDERS)[number];

/** What one gateway fact says about a payment, in the gateway's own ids. */
export type PaymentFact = {
  /** `authorized`: money held at the gateway, ours only once captured (Razorpay manual or late capture). */
  outcome: GatewayOutcome | 'authorized';
  /** The gateway order we stored (Stripe session id, Razorpay order id, sandbox checkout id). */
  orderId?: string;
  /** The gateway payment (PaymentIntent, Razorpay payment, sandbox payment). */
  paymentRef?: string;
  amountMinor?: number;
  currency?: string;
  /** A failed attempt the patient can retry on the same order (Razorpay), not the end of the order. */
  retryable?: boolean;
  /** When the gateway took the money, where it says: money taken before the hold's expiry is on time. */
  paidAt?: Date;
};

/** A refund the gateway reports (processed or failed), possibly one we never asked for. */
export type RefundFact = {
  paymentRef?: string;
  orderId?: string;
  gatewayRefundId?: string;
  /** Our refund id when the gateway echoes it back (metadata / notes). */
  refundId?: string;
  amountMinor: number;
  status: 'processed' | 'failed';
  /** Stripe's charge.refunded carries a running total instead of one refund. */
  totalRefundedMinor?: number;
};

export type GatewayEvent = {
  eventId: string;
  type: string;
  payload: unknown;
  payment?: PaymentFact;
  refund?: RefundFact;
};

/**
 * The gateway's current view of an order (the "lookup"), for reconciliation and for a hold's
 * expiry, which asks before it releases the slot: Stripe's Checkout Session, Razorpay's order
 * payments, the sandbox's checkout row.
 */
export type GatewayStatus = {
  state: 'open' | 'authorized' | 'paid' | 'failed' | 'expired';
  paymentRef?: string;
  amountMinor?: number;
  currency?: string;
  /** When the money was taken, where the gateway says it. */
  paidAt?: Date;
};

export type CheckoutInput = {
  paymentId: string;
  amountMinor: number;
  currency: string;
  description: string;
  expiresAt: Date;
  now: Date;
  customer: {
    patientId: string;
    customerRef?: string;
    name?: string | null;
    email?: string | null;
    phone?: string | null;
  };
};

export type CheckoutResult = { orderId: string; checkoutUrl?: string; keyId?: string };

export type RefundInput = {
  refundId: string;
  orderId: string | null;
  paymentRef: string | null;
  amountMinor: number;
  currency: string;
  idempotencyKey: string;
};

export type RefundResult = { gatewayRefundId: string; status: 'processed' | 'pending' };

export interface Gateway {
  readonly provider: Provider;
  /** Creates (or returns, per paymentId) a customer reference at the gateway, when it has customers. */
  ensureCustomer?(c: CheckoutInput['customer']): Promise<string>;
  createCheckout(input: CheckoutInput): Promise<CheckoutResult>;
  /**
   * Only a gateway whose remote side is our own database (the sandbox): the checkout a new payment
   * gets. Payments writes its row in the payable's transaction, in the payment's own INSERT, so a
   * checkout costs no statement and no commit after the transaction (issue 12).
   */
  localCheckout?(paymentId: string): Required<Pick<CheckoutResult, 'orderId' | 'checkoutUrl'>>;
  /**
   * Checks a client callback against the order WE stored; returns the verified payment fact
   * (after cross-checking amount and currency with the gateway when it can): `succeeded` when the
   * money is captured, `authorized` when it is held and still to be captured (Razorpay).
   */
  verifyClientCallback(input: {
    orderId: string;
    paymentRef: string;
    signature: string;
  }): Promise<PaymentFact>;
  /** Verifies the signature on the exact raw bytes, then parses. Throws AppError 400 on any doubt. */
  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders, now: Date): GatewayEvent;
  refund(input: RefundInput): Promise<RefundResult>;
  fetchStatus(input: { orderId: string; paymentRef?: string | null }): Promise<GatewayStatus>;
  /** Where a refund the gateway left pending stands now (for refunds whose webhook never came). */
  fetchRefund?(input: {
    paymentRef: string | null;
    gatewayRefundId: string;
  }): Promise<'processed' | 'pending' | 'failed'>;
  /**
   * Captures an authorised payment of the order we stored, for exactly our amount; a payment the
   * gateway already captured is answered as captured, so a retry never captures twice. Throws
   * GatewayRejected when it cannot be captured for good. Only gateways with separate capture.
   */
  capture?(input: {
    orderId: string;
    paymentRef: string;
    amountMinor: number;
    currency: string;
  }): Promise<PaymentFact>;
  /** Closes the checkout so it can no longer be paid; `completed` when it already was paid. */
  expire(input: { orderId: string }): Promise<'expired' | 'completed' | 'unsupported'>;
}

export const signatureInvalid = (detail = 'The webhook signature is missing, stale or does not match.') =>
  new AppError(400, 'WEBHOOK_SIGNATURE_INVALID', detail);

export const verificationFailed = (detail = 'The payment could not be verified.') =>
  new AppError(400, 'PAYMENT_VERIFICATION_FAILED', detail);

/** A gateway refused the request for good (4xx): retrying will not help. */
export class GatewayRejected extends Error {
  override name = 'GatewayRejected';
}

export const headerValue = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};
