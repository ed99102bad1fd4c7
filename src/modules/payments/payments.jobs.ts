import { defineJob } from '../../platform/jobs.js';

/** Calls the gateway for one refund row; idempotent by the refund's idempotency key. */
export const refundJob = defineJob<{ refundId: string }>('payments.refund', { retryLimit: 10 });

/**
 * Captures one gateway authorisation, then credits it like any success. `stately` with the
 * singleton key `{paymentId}:{paymentRef}` keeps the webhook, its redeliveries and every
 * reconciler run from piling up copies; each copy is harmless anyway (the gateway answers
 * "already captured" and the credit is applied once under the payment's lock).
 */
export const captureJob = defineJob<{ paymentId: string; paymentRef: string }>('payments.capture', {
  policy: 'stately',
  retryLimit: 10,
  retryDelay: 5,
  retryBackoff: true,
});

/**
 * At the hold's expiry: close the checkout at the gateway and settle what it says (paid -> the
 * booking is confirmed; open -> closed and released). A gateway that does not answer fails the job,
 * which retries with backoff (about 40 minutes in all); the 5-minute reconciler keeps asking after
 * that. The slot is never released while the payment may be paid.
 */
export const expireJob = defineJob<{ paymentId: string }>('payments.expire', {
  retryLimit: 9,
  retryDelay: 5,
  retryBackoff: true,
});

/** Periodic: ask the gateway about payments that should have heard back by now. */
export const reconcileJob = defineJob<Record<string, never>>('payments.reconcile', {
  retryLimit: 0,
  expireInSeconds: 600,
});
export const RECONCILE_CRON = '*/5 * * * *';

/** The sandbox gateway delivering one signed webhook over HTTP, retried with backoff like a real one. */
export const sandboxDeliverJob = defineJob<{
  eventId: string;
  type: string;
  checkoutId: string;
}>('payments.sandbox-deliver', { retryLimit: 8, retryDelay: 2, retryBackoff: true });
