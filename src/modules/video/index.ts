import { registerJob } from '../../platform/jobs.js';
import type { AppModule, Platform } from '../../platform/module.js';
import { createGoogleMeetClient } from './video.google.js';
import { createMeetingJob, syncCalendarEventJob } from './video.jobs.js';
import { createVideoService, type MeetingReadyHandler, type VideoService } from './video.service.js';

export type { RescheduleMeeting } from './video.changes.js';
export type {
  MeetingInfo,
  MeetingReadyHandler,
  RequestMeeting,
  VideoProvider,
  VideoService,
} from './video.service.js';

export type VideoModuleDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'uow' | 'pool'> & {
  /** Booking's callback, run in the job's transaction once a meeting has its links. */
  onReady: MeetingReadyHandler;
};
export type VideoModule = AppModule & {
  service: Pick<
    VideoService,
    'requestMeeting' | 'findForAppointment' | 'within' | 'rescheduleMeeting' | 'cancelMeeting'
  >;
};

/** Meeting links for online appointments: Jitsi by default, Google Meet when configured. */
export function createVideoModule(deps: VideoModuleDeps): VideoModule {
  const { googleMeet, provider } = deps.config.video;
  if (provider === 'google_meet' && !googleMeet)
    deps.log.warn('VIDEO_PROVIDER=google_meet without Google service-account settings: using Jitsi');
  const google = googleMeet ? createGoogleMeetClient(googleMeet, deps.clock) : undefined;
  const service = createVideoService({ ...deps, google });
  return {
    name: 'video',
    service: {
      requestMeeting: service.requestMeeting,
      findForAppointment: service.findForAppointment,
      within: service.within,
      rescheduleMeeting: service.rescheduleMeeting,
      cancelMeeting: service.cancelMeeting,
    },
    jobs: [
      registerJob(createMeetingJob, service.createMeeting),
      registerJob(syncCalendarEventJob, service.syncCalendarEvent),
    ],
  };
}
