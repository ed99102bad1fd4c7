import type { AuthGuard } from '../../platform/auth.js';
import { defineJob, registerJob } from '../../platform/jobs.js';
import type { AppModule } from '../../platform/module.js';
import type { SessionsDeps } from './sessions.ports.js';
import { providerCallbackRoutes } from './sessions.provider.js';
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

export type SessionsDemoDeps = {
  findUserByPhone?: (phone: string) => Promise<{ id: string } | null>;
  demoPhones?: { patients: readonly string[]; clinicians: readonly string[] };
};

/** Demo data: one finished chat between the subscribed demo patient and the first demo clinician (their earnings). */
async function seedSessionsDemo(
  deps: SessionsDemoDeps & Pick<SessionsDeps, 'log'>,
  service: SessionsService,
) {
  const [patient, doc] = await Promise.all([
    deps.demoPhones?.patients[1] ? deps.findUserByPhone?.(deps.demoPhones.patients[1]) : null,
    deps.demoPhones?.clinicians[0] ? deps.findUserByPhone?.(deps.demoPhones.clinicians[0]) : null,
  ]);
  if (!patient || !doc) return;
  try {
    const as = (userId: string, role: 'patient' | 'clinician') => ({ userId, role, sessionId: 'demo-seed' });
    const s = await service.start(as(patient.id, 'patient'), 'text', { clinicianId: doc.id });
    await service.activate(as(doc.id, 'clinician'), s.id);
    await service.postMessage(as(doc.id, 'clinician'), s.id, 'Hello, how can I help today?');
    await service.end(as(doc.id, 'clinician'), s.id);
  } catch (err) {
    deps.log.warn({ err }, 'sessions demo chat not created');
  }
}

export function createSessionsModule(
  deps: SessionsDeps & SessionsDemoDeps & { auth: AuthGuard },
): SessionsModule {
  const service = createSessionsService(deps);
  return {
    name: 'sessions',
    service,
    routes: async (app) => {
      await app.register(sessionsRoutes({ auth: deps.auth, service }));
      await app.register(
        providerCallbackRoutes({
          service,
          clock: deps.clock,
          secret: deps.config.billing.callProviderSecret,
        }),
      );
    },
    seedDemo: () => seedSessionsDemo(deps, service),
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
