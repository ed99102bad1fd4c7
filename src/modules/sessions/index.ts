import type { AuthGuard } from '../../platform/auth.js';
import { defineJob, registerJob } from '../../platform/jobs.js';
import type { AppModule } from '../../platform/module.js';
import type { SessionsDeps } from './sessions.ports.js';
import { sessionsRoutes } from './sessions.routes.js';
import { createSessionsService, type SessionsService } from './sessions.service.js';

export type {
  AppointmentLookup,
  ConsultationLookup,
  SessionAppointment,
  SessionConsultation,
  SessionsDeps,
} from './sessions.ports.js';
export type { SessionsService } from './sessions.service.js';

/** Every minute: calls that rang out become MISSED, then every due block is charged (SKIP LOCKED). */
export const sessionsTickJob = defineJob<Record<string, never>>('sessions.tick', {
  retryLimit: 1,
  expireInSeconds: 600,
});
export const SESSIONS_TICK_CRON = '* * * * *';

export type SessionsModule = AppModule & { service: SessionsService };

export function createSessionsModule(deps: SessionsDeps & { auth: AuthGuard }): SessionsModule {
  const service = createSessionsService(deps);
  return {
    name: 'sessions',
    service,
    routes: sessionsRoutes({ auth: deps.auth, service }),
    jobs: [
      registerJob(
        sessionsTickJob,
        async () => {
          await service.sweepMissed();
          await service.settleDue();
        },
        SESSIONS_TICK_CRON,
      ),
    ],
  };
}
