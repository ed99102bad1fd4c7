import type { IncomingHttpHeaders } from 'node:http';
import Stripe from 'stripe';
import { stripeSessionExpiry } from '../payments.rules.js';
import {
  type CheckoutInput,
  type Gateway,
  type GatewayEvent,
  GatewayRejected,
  type GatewayStatus,
  headerValue,
  type PaymentFact,
  signatureInvalid,
  verificationFailed,
} from './types.js';

export type StripeSettings = { secretKey: string; webhookSecret?: string; apiUrl?: string };

/** The official SDK, pointed at STRIPE_API_URL when set (tests use a local fake). */
export function stripeClient(s: StripeSettings): Stripe {
  if (!s.apiUrl) return new Stripe(s.secretKey, { maxNetworkRetries: 2 });
  const url = new URL(s.apiUrl);
  return new Stripe(s.secretKey, {
    host: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    protocol: url.protocol.replace(':', '') as 'http' | 'https',
    maxNetworkRetries: 2,
  });
}

const idOf = (v: string | { id: string } | null | undefined) => (typeof v === 'string' ? v : v?.id);

/** Only 4xx (other than 429) answers are final; everything else is worth a retry. */
const rethrow = (err: unknown): never => {
  const status = (err as { statusCode?: number }).statusCode;
  if (status && status >= 400 && status < 500 && status !== 429)
    throw new GatewayRejected((err as Error).message);
  throw err;
};

function sessionFact(s: Stripe.Checkout.Session, outcome: PaymentFact['outcome']): PaymentFact {
  return {
    outcome,
    orderId: s.id,
    paymentRef: idOf(s.payment_intent),
    amountMinor: s.amount_total ?? undefined,
    currency: s.currency?.toUpperCase(),
  };
}

function toEvent(event: Stripe.Event): GatewayEvent {
  const base = { eventId: event.id, type: event.type, payload: event };
  // The event is created when the session completes: when the money was taken.
  const paidAt = new Date(event.created * 1000);
  switch (event.type) {
    case 'checkout.session.completed': {
      const s = event.data.object;
      // Delayed methods complete the session unpaid; only `paid` (or the async success) is money.
      return s.payment_status === 'paid'
        ? { ...base, payment: { ...sessionFact(s, 'succeeded'), paidAt } }
        : base;
    }
    case 'checkout.session.async_payment_succeeded':
      return { ...base, payment: { ...sessionFact(event.data.object, 'succeeded'), paidAt } };
    case 'checkout.session.async_payment_failed':
      return { ...base, payment: sessionFact(event.data.object, 'failed') };
    case 'checkout.session.expired':
      return { ...base, payment: sessionFact(event.data.object, 'expired') };
    case 'charge.refunded': {
      const c = event.data.object;
      return {
        ...base,
        refund: {
          paymentRef: idOf(c.payment_intent),
          amountMinor: c.amount_refunded,
          totalRefundedMinor: c.amount_refunded,
          status: 'processed',
        },
      };
    }
    default:
      return base;
  }
}

export function createStripeGateway(s: StripeSettings, opts: { publicUrl: string }): Gateway {
  const stripe = stripeClient(s);
  return {
    provider: 'stripe',
    async ensureCustomer(c) {
      // The idempotency key makes two racing first bookings of one patient share one customer.
      const customer = await stripe.customers
        .create(
          {
            name: c.name ?? undefined,
            email: c.email ?? undefined,
            phone: c.phone ?? undefined,
            metadata: { patientId: c.patientId },
          },
          { idempotencyKey: `carebook-customer-${c.patientId}` },
        )
        .catch(rethrow);
      return customer.id;
    },
    async createCheckout(input: CheckoutInput) {
      const session = await stripe.checkout.sessions
        .create(
          {
            mode: 'payment',
            customer: input.customer.customerRef,
            client_reference_id: input.paymentId,
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: input.currency.toLowerCase(),
                  unit_amount: input.amountMinor,
                  product_data: { name: input.description },
                },
              },
            ],
            expires_at: stripeSessionExpiry(input.expiresAt, input.now),
            metadata: { paymentId: input.paymentId },
            payment_intent_data: { metadata: { paymentId: input.paymentId } },
            success_url: `${opts.publicUrl}/payments/return?paymentId=${input.paymentId}&status=success`,
            cancel_url: `${opts.publicUrl}/payments/return?paymentId=${input.paymentId}&status=cancel`,
          },
          { idempotencyKey: `carebook-checkout-${input.paymentId}` },
        )
        .catch(rethrow);
      return { orderId: session.id, checkoutUrl: session.url ?? undefined };
    },
    async verifyClientCallback({ orderId }) {
      // Stripe's redirect carries no signature: ask Stripe about the session we stored.
      const session = await stripe.checkout.sessions.retrieve(orderId).catch(rethrow);
      if (session.payment_status !== 'paid') throw verificationFailed('The checkout is not paid.');
      return sessionFact(session, 'succeeded');
    },
    parseWebhook(raw: Buffer, headers: IncomingHttpHeaders, now: Date) {
      const header = headerValue(headers, 'stripe-signature');
      if (!header || !s.webhookSecret) throw signatureInvalid();
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(
          raw,
          header,
          s.webhookSecret,
          undefined,
          undefined,
          now.getTime(),
        );
      } catch {
        throw signatureInvalid();
      }
      return toEvent(event);
    },
    async refund(input) {
      if (!input.paymentRef) throw new GatewayRejected('no PaymentIntent to refund');
      const refund = await stripe.refunds
        .create(
          {
            payment_intent: input.paymentRef,
            amount: input.amountMinor,
            metadata: { refundId: input.refundId },
          },
          { idempotencyKey: input.idempotencyKey },
        )
        .catch(rethrow);
      if (refund.status === 'failed' || refund.status === 'canceled')
        throw new GatewayRejected(`refund ${refund.status}`);
      return { gatewayRefundId: refund.id, status: refund.status === 'succeeded' ? 'processed' : 'pending' };
    },
    async fetchRefund({ gatewayRefundId }) {
      const r = await stripe.refunds.retrieve(gatewayRefundId).catch(rethrow);
      if (r.status === 'succeeded') return 'processed';
      return r.status === 'failed' || r.status === 'canceled' ? 'failed' : 'pending';
    },
    async fetchStatus({ orderId }): Promise<GatewayStatus> {
      const session = await stripe.checkout.sessions.retrieve(orderId).catch(rethrow);
      const fact = sessionFact(session, 'succeeded');
      const state =
        session.payment_status === 'paid' ? 'paid' : session.status === 'expired' ? 'expired' : 'open';
      return { state, paymentRef: fact.paymentRef, amountMinor: fact.amountMinor, currency: fact.currency };
    },
    async expire({ orderId }) {
      try {
        await stripe.checkout.sessions.expire(orderId);
        return 'expired';
      } catch (err) {
        // `/expire` works only while the session is open: ask what it became instead.
        const session = await stripe.checkout.sessions.retrieve(orderId).catch(rethrow);
        if (session.payment_status === 'paid' || session.status === 'complete') return 'completed';
        if (session.status === 'expired') return 'expired';
        throw err;
      }
    },
  };
}
