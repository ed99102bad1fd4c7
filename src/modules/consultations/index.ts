import type { AppModule } from '../../platform/module.js';
import { consultationsJobs } from './consultations.jobs.js';
import type { ConsultationsDeps } from './consultations.ports.js';
import { consultationsRoutes } from './consultations.routes.js';
import { seedConsultationsDemo } from './consultations.seed.js';
import { type ConsultationsService, makeConsultationsService } from './consultations.service.js';
import { type ConsultationForSession, makeSessionLookup } from './consultations.sessions.js';
import { visitsRoutes } from './consultations.visits.routes.js';

export type { ConsultationsDeps } from './consultations.ports.js';
export type { ConsultationsService } from './consultations.service.js';
export type { ConsultationForSession } from './consultations.sessions.js';

/** Triage, clinical sessions, consultations and GOPD visits (seeds 000 and 002). */
export function createConsultationsModule(deps: ConsultationsDeps): AppModule & {
  service: ConsultationsService;
  /** For the sessions module: a consultation a text or call session may run on. */
  forSession: (id: string) => Promise<ConsultationForSession | null>;
} {
  const service = makeConsultationsService(deps);
  deps.payments.registerPayable('consultation', service.payableHandlers.consultation);
  deps.payments.registerPayable('visit', service.payableHandlers.visit);
  return {
    name: 'consultations',
    service,
    forSession: makeSessionLookup(deps),
    routes: async (app) => {
      await app.register(
        consultationsRoutes({ auth: deps.auth, clock: deps.clock, service, identity: deps.identity }),
      );
      await app.register(visitsRoutes({ auth: deps.auth, service }));
    },
    jobs: consultationsJobs(service),
    seedDemo: () => seedConsultationsDemo(deps),
  };
}
