import { defineJob } from '../../platform/jobs.js';

/**
 * Delivers one outbox row. Our own retries (backoff in messaging.rules) are new jobs enqueued with
 * the row's state change; pg-boss's retries only cover a crashed or busy handler.
 */
export const deliverJob = defineJob<{ notificationId: string }>('messaging.deliver', {
  retryLimit: 3,
  retryDelay: 30,
  retryBackoff: true,
  expireInSeconds: 120,
});

/** The PostgreSQL NOTIFY channel that carries new in-app notifications to every instance's streams. */
export const IN_APP_CHANNEL = 'carebook_notifications';
