import { makeClinical } from './consultations.clinical.js';
import { consultationEffects } from './consultations.effects.js';
import { makeLifecycle } from './consultations.lifecycle.js';
import type { ConsultationsDeps } from './consultations.ports.js';
import { makeTriage } from './consultations.triage.js';
import { makeVisits } from './consultations.visits.js';

/** Consultations' use cases, split by file; this only wires them together. */
export function makeConsultationsService(deps: ConsultationsDeps) {
  const effects = consultationEffects(deps);
  const triage = makeTriage(deps, effects);
  const clinical = makeClinical(deps, effects);
  const lifecycle = makeLifecycle(deps, effects);
  const visits = makeVisits(deps, effects);
  return {
    collectSymptoms: triage.collectSymptoms,
    selectConsultation: triage.selectConsultation,
    confirmPayment: triage.confirmPayment,
    ...clinical,
    ...lifecycle,
    openVisit: visits.openVisit,
    recordVisitPayment: visits.recordPayment,
    closeVisit: visits.closeVisit,
    listVisits: visits.listVisits,
    /** For payments' registerPayable: the triage session is the `consultation` payable, the visit the `visit` one. */
    payableHandlers: { consultation: triage.handlers, visit: visits.handlers },
  };
}

export type ConsultationsService = ReturnType<typeof makeConsultationsService>;
