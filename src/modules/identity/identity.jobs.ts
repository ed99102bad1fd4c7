import { defineJob, registerJob } from '../../platform/jobs.js';
import type { Platform } from '../../platform/module.js';
import { identityRepository as repo } from './identity.repository.js';

/** Daily clean-up of spent login codes and long-dead sessions. */
export const purgeJob = defineJob<Record<string, never>>('identity.purge', { retryLimit: 3 });

/** Codes matter for an hour (rate-limit windows); a day is kept for support questions. */
export const OTP_KEEP_MS = 24 * 3_600_000;
/** Sessions are kept 30 days past expiry, so a stolen token's late reuse still reads as known. */
export const SESSION_KEEP_MS = 30 * 86_400_000;

export function identityJobs(deps: Pick<Platform, 'clock' | 'uow'>) {
  return [
    registerJob(
      purgeJob,
      // Deleting by age only: running twice, or a day late, removes the same rows and no others.
      async () => {
        const now = deps.clock.now().getTime();
        await deps.uow(async (tx) => {
          await repo.deleteOtpRequestsBefore(tx.db, new Date(now - OTP_KEEP_MS));
          await repo.deleteSessionsExpiredBefore(tx.db, new Date(now - SESSION_KEEP_MS));
        });
      },
      '17 3 * * *',
    ),
  ];
}
