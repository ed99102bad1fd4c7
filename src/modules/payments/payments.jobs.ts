import { defineJob } from '../../platform/jobs.js';

/** Calls the gateway for one refund row; idempotent by the refund's idempotency key. */
export const refundJob = defineJob<{ refundId: string }>('payments.refund', { retryLimit: 10 });

/** At the hold's expiry: close the checkout at the gateway and settle what it says. */
export const expireJob = defineJob<{ paymentId: string }>('payments.expire');

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
