import { defineJob } from '../../platform/jobs.js';

/** Creates the meeting of one video session (Jitsi link, or a Google Calendar event with Meet). */
export const createMeetingJob = defineJob<{ videoSessionId: string }>('video.create_meeting', {
  retryLimit: 3,
  retryDelay: 30,
  retryBackoff: true,
  expireInSeconds: 120,
});

/**
 * Makes a session's Google Calendar event follow the row: moves it to the row's times, or deletes it
 * once the meeting is cancelled. Carries the calendar revision it was sent for; a stale one does nothing.
 */
export const syncCalendarEventJob = defineJob<{ videoSessionId: string; revision: number }>(
  'video.sync_calendar_event',
  { retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 120 },
);
