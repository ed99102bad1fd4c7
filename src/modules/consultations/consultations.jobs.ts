import { defineJob, type JobRegistration, registerJob } from '../../platform/jobs.js';

/** At a clinical session's expiry: unused -> expired and its payment refunded in full. Idempotent. */
export const clinicalExpiryJob = defineJob<{ clinicalSessionId: string }>(
  'consultations.expire-clinical-session',
);
/** Every few minutes: the same for any session whose own job was lost or late. */
export const clinicalSweepJob = defineJob<Record<string, never>>('consultations.sweep-clinical-sessions');
export const CLINICAL_SWEEP_CRON = '*/5 * * * *';

export function consultationsJobs(service: {
  expireClinicalSession(id: string): Promise<unknown>;
  sweepClinicalSessions(): Promise<number>;
}): JobRegistration[] {
  return [
    registerJob(clinicalExpiryJob, async ({ clinicalSessionId }) => {
      await service.expireClinicalSession(clinicalSessionId);
    }),
    registerJob(
      clinicalSweepJob,
      async () => void (await service.sweepClinicalSessions()),
      CLINICAL_SWEEP_CRON,
    ),
  ];
}
