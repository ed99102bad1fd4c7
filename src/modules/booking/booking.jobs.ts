import { defineJob, registerJob } from '../../platform/jobs.js';

/** Payload `remindAt` is the ISO instant the reminder was scheduled for; a moved appointment no longer matches. */
export const remindJob = defineJob<{ appointmentId: string; remindAt: string }>('booking.remind');
export const expireHoldsJob = defineJob<Record<string, never>>('booking.expire-holds', { retryLimit: 1 });
export const markNoShowsJob = defineJob<Record<string, never>>('booking.mark-no-shows', { retryLimit: 1 });

type JobService = {
  sendReminder(appointmentId: string, remindAt: string): Promise<boolean>;
  sweepLapsedHolds(): Promise<number>;
  sweepNoShows(): Promise<number>;
};

/** Every handler re-reads state and is safe to run twice or late. */
export const bookingJobs = (service: JobService) => [
  registerJob(remindJob, async ({ appointmentId, remindAt }) => {
    await service.sendReminder(appointmentId, remindAt);
  }),
  registerJob(
    expireHoldsJob,
    async () => {
      await service.sweepLapsedHolds();
    },
    '* * * * *',
  ),
  registerJob(
    markNoShowsJob,
    async () => {
      await service.sweepNoShows();
    },
    '*/5 * * * *',
  ),
];
