import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import Razorpay from 'razorpay';
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

export type RazorpaySettings = { keyId: string; keySecret: string; webhookSecret?: string; apiUrl?: string };

type RzPayment = {
  id: string;
  order_id?: string;
  amount: number;
  currency: string;
  status: 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';
  captured?: boolean;
  notes?: Record<string, string> | unknown[];
};
type RzRefund = {
  id: string;
  payment_id: string;
  amount: number;
  status: string;
  notes?: Record<string, string> | unknown[];
};

/**
 * The official SDK hard-codes https://api.razorpay.com as the axios base URL and offers no option
 * for it; RAZORPAY_API_URL (tests) rebases that axios instance, which the SDK keeps at `api.rq`.
 */
export function razorpayClient(s: RazorpaySettings): Razorpay {
  const rz = new Razorpay({ key_id: s.keyId, key_secret: s.keySecret });
  if (s.apiUrl) {
    const rq = (rz.api as unknown as { rq?: { defaults: { baseURL?: string } } }).rq;
    if (!rq) throw new Error('razorpay SDK layout changed: cannot point it at RAZORPAY_API_URL');
    rq.defaults.baseURL = s.apiUrl.replace(/\/$/, '');
  }
  return rz;
}

const hmacHex = (secret: string, text: string | Buffer) =>
  createHmac('sha256', secret).update(text).digest('hex');
const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The SDK rejects with `{ statusCode, error }`; 4xx (but 429) are final. */
const rethrow = (err: unknown): never => {
  const status = Number((err as { statusCode?: number | string }).statusCode);
  if (status >= 400 && status < 500 && status !== 429)
    throw new GatewayRejected(
      (err as { error?: { description?: string } }).error?.description ?? `razorpay ${status}`,
    );
  throw err instanceof Error ? err : new Error(`razorpay request failed: ${JSON.stringify(err)}`);
};

const noteOf = (notes: RzPayment['notes'], key: string): string | undefined =>
  notes && !Array.isArray(notes) ? notes[key] : undefined;

/**
 * Money is ours once captured. `refunded` without `captured` is an authorisation Razorpay released
 * by itself (never captured), which is no money at all.
 */
const isCaptured = (p: RzPayment) =>
  p.status === 'captured' || (p.status === 'refunded' && p.captured !== false);
const isDead = (p: RzPayment) => p.status === 'failed' || (p.status === 'refunded' && p.captured === false);

function paymentFact(p: RzPayment, outcome: PaymentFact['outcome']): PaymentFact {
  return { outcome, orderId: p.order_id, paymentRef: p.id, amountMinor: p.amount, currency: p.currency };
}

function toEvent(
  eventId: string,
  body: { event?: string; payload?: Record<string, { entity: unknown }> },
): GatewayEvent {
  const type = body.event ?? 'unknown';
  const base = { eventId, type, payload: body };
  const payment = body.payload?.payment?.entity as RzPayment | undefined;
  switch (type) {
    case 'payment.captured':
    case 'order.paid':
      return payment ? { ...base, payment: paymentFact(payment, 'succeeded') } : base;
    case 'payment.authorized':
      // Manual capture, or a late authorisation after `failed`: held, not yet ours; a job captures it.
      return payment ? { ...base, payment: paymentFact(payment, 'authorized') } : base;
    case 'payment.failed':
      // Razorpay Checkout lets the patient try again on the same order after a decline.
      return payment ? { ...base, payment: { ...paymentFact(payment, 'failed'), retryable: true } } : base;
    case 'refund.processed':
    case 'refund.failed': {
      const r = body.payload?.refund?.entity as RzRefund | undefined;
      if (!r) return base;
      return {
        ...base,
        refund: {
          paymentRef: r.payment_id,
          gatewayRefundId: r.id,
          refundId: noteOf(r.notes, 'refundId'),
          amountMinor: r.amount,
          status: type === 'refund.processed' ? 'processed' : 'failed',
        },
      };
    }
    default:
      return base;
  }
}

export function createRazorpayGateway(s: RazorpaySettings): Gateway {
  const rz = razorpayClient(s);
  return {
    provider: 'razorpay',
    async createCheckout(input: CheckoutInput) {
      const order = (await rz.orders
        .create({
          amount: input.amountMinor,
          currency: input.currency,
          receipt: input.paymentId,
          notes: { paymentId: input.paymentId },
        })
        .catch(rethrow)) as { id: string };
      return { orderId: order.id, keyId: s.keyId };
    },
    async verifyClientCallback({ orderId, paymentRef, signature }) {
      // The order id is the one we stored for this payable, never the client's.
      if (!safeEqual(signature, hmacHex(s.keySecret, `${orderId}|${paymentRef}`))) throw verificationFailed();
      const p = (await rz.payments.fetch(paymentRef).catch(rethrow)) as RzPayment;
      if (p.order_id !== orderId) throw verificationFailed();
      if (isCaptured(p)) return paymentFact(p, 'succeeded');
      // Authorised but not captured yet (manual capture, or Razorpay's auto-capture still to come):
      // a valid callback for money on its way, not bad input. Our capture job makes it money.
      if (p.status === 'authorized') return paymentFact(p, 'authorized');
      throw verificationFailed('The payment did not go through.');
    },
    parseWebhook(raw: Buffer, headers: IncomingHttpHeaders) {
      const signature = headerValue(headers, 'x-razorpay-signature');
      const eventId = headerValue(headers, 'x-razorpay-event-id');
      if (!signature || !s.webhookSecret) throw signatureInvalid();
      // HMAC of the raw body with the WEBHOOK secret; there is no timestamp, so the event id is
      // the only replay defence (deduplicated in webhook_events).
      if (!safeEqual(signature, hmacHex(s.webhookSecret, raw))) throw signatureInvalid();
      if (!eventId || eventId.length > 200)
        throw signatureInvalid('The x-razorpay-event-id header is missing.');
      let body: Parameters<typeof toEvent>[1];
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw signatureInvalid('The webhook body is not JSON.');
      }
      return toEvent(eventId, body);
    },
    async refund(input) {
      if (!input.paymentRef) throw new GatewayRejected('no payment to refund');
      // Razorpay has no idempotency header in the SDK: a retry first looks for the refund it may
      // already have made (tagged with our refund id).
      const existing = (await rz.payments
        .fetchMultipleRefund(input.paymentRef, { count: 100 })
        .catch(rethrow)) as {
        items: RzRefund[];
      };
      const found = existing.items.find((r) => noteOf(r.notes, 'refundId') === input.refundId);
      const refund =
        found ??
        ((await rz.payments
          .refund(input.paymentRef, {
            amount: input.amountMinor,
            receipt: input.refundId,
            notes: { refundId: input.refundId },
          })
          .catch(rethrow)) as RzRefund);
      if (refund.status === 'failed') throw new GatewayRejected('refund failed');
      return { gatewayRefundId: refund.id, status: refund.status === 'processed' ? 'processed' : 'pending' };
    },
    async fetchRefund({ paymentRef, gatewayRefundId }) {
      if (!paymentRef) return 'pending';
      const r = (await rz.payments.fetchRefund(paymentRef, gatewayRefundId).catch(rethrow)) as RzRefund;
      return r.status === 'processed' ? 'processed' : r.status === 'failed' ? 'failed' : 'pending';
    },
    async fetchStatus({ orderId }): Promise<GatewayStatus> {
      const list = (await rz.orders.fetchPayments(orderId).catch(rethrow)) as { items: RzPayment[] };
      const captured = list.items.find(isCaptured);
      if (captured) return { state: 'paid', ...pick(captured) };
      const authorized = list.items.find((p) => p.status === 'authorized');
      if (authorized) return { state: 'authorized', ...pick(authorized) };
      if (list.items.length && list.items.every(isDead)) return { state: 'failed', ...pick(list.items[0]!) };
      return { state: 'open' };
    },
    async capture({ orderId, paymentRef, amountMinor, currency }) {
      const fetchPayment = async () => (await rz.payments.fetch(paymentRef).catch(rethrow)) as RzPayment;
      const current = await fetchPayment();
      // Only a payment of the order we stored, for exactly our amount, is ever captured.
      if (current.order_id !== orderId) throw new GatewayRejected('the payment belongs to another order');
      if (current.amount !== amountMinor || current.currency.toUpperCase() !== currency.toUpperCase())
        throw new GatewayRejected('the authorised amount differs from the payment');
      if (isCaptured(current)) return paymentFact(current, 'succeeded');
      if (current.status !== 'authorized') throw new GatewayRejected(`the payment is ${current.status}`);
      try {
        return paymentFact(
          (await rz.payments.capture(paymentRef, amountMinor, currency)) as RzPayment,
          'succeeded',
        );
      } catch (err) {
        // Captured meanwhile (auto-capture, or our earlier attempt whose answer was lost): ask again
        // instead of trusting the error text, so a retry never captures twice nor gives up on money.
        const again = await fetchPayment();
        if (isCaptured(again)) return paymentFact(again, 'succeeded');
        return rethrow(err);
      }
    },
    async expire() {
      // Orders have no expiry at Razorpay: the hold simply lapses and later money is late.
      return 'unsupported';
    },
  };
}

const pick = (p: RzPayment) => ({ paymentRef: p.id, amountMinor: p.amount, currency: p.currency });
