import { defineJob } from '../../platform/jobs.js';

/** Creates the meeting of one video session (Jitsi link, or a Google Calendar event with Meet). */
export const createMeetingJob = defineJob<{ videoSessionId: string }>('video.create_meeting', {
  retryLimit: 3,
  retryDelay: 30,
  retryBackoff: true,
  expireInSeconds: 120,
});
