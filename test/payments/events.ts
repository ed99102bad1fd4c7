import { createHmac, randomUUID } from 'node:crypto';
import Stripe from 'stripe';

export const RAZORPAY_WEBHOOK_SECRET = 'rzp_webhook_secret_abcdef';
export const STRIPE_WEBHOOK_SECRET = 'whsec_test_carebook_0123456789';

const stripe = new Stripe('sk_test_helper');

export const hmacHex = (secret: string, text: string) =>
  createHmac('sha256', secret).update(text).digest('hex');

/**
 * A Razorpay webhook as Razorpay sends it: HMAC-SHA256 of the raw body with the webhook secret,
 * no timestamp, and the event id in `x-razorpay-event-id` (the same id on every redelivery).
 */
export function razorpayEvent(
  event: string,
  payload: object,
  opts: { eventId?: string; secret?: string } = {},
) {
  const body = JSON.stringify({
    entity: 'event',
    account_id: 'acc_1',
    event,
    contains: Object.keys(payload),
    payload,
    created_at: 1,
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-razorpay-signature': hmacHex(opts.secret ?? RAZORPAY_WEBHOOK_SECRET, body),
      'x-razorpay-event-id': opts.eventId ?? `evt_rzp_${randomUUID().replace(/-/g, '')}`,
    },
  };
}

/** A Stripe event signed by the SDK's own `webhooks.generateTestHeaderString`, at the test clock's time. */
export function stripeEvent(
  clock: { now(): Date },
  type: string,
  object: object,
  opts: { id?: string; timestamp?: number; secret?: string } = {},
) {
  const now = Math.floor(clock.now().getTime() / 1000);
  const body = JSON.stringify({
    id: opts.id ?? `evt_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: now,
    type,
    data: { object },
  });
  const header = stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: opts.secret ?? STRIPE_WEBHOOK_SECRET,
    timestamp: opts.timestamp ?? now,
  });
  return { body, headers: { 'content-type': 'application/json', 'stripe-signature': header } };
}
