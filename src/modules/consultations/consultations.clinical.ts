import type { Actor } from '../../platform/auth.js';
import { Errors } from '../../platform/errors.js';
import type { AuditWho, ConsultationEffects } from './consultations.effects.js';
import type { ConsultationsDeps } from './consultations.ports.js';
import {
  type ClinicalSession,
  type Consultation,
  consultationsRepository,
  readRepository,
  type TriageSession,
} from './consultations.repository.js';
import { clinicalSessionExpired, pendingReasonFor } from './consultations.rules.js';
import { paymentNotConfirmed, runAssessment } from './consultations.triage.js';
import type { TriageAssessment, TriageInput } from './triage/index.js';

type Deps = Pick<ConsultationsDeps, 'config' | 'clock' | 'uow' | 'pool' | 'payments' | 'log'>;

const PAID = new Set(['SUCCEEDED', 'PARTIALLY_REFUNDED']);

export type DetailedResult = {
  consultation: Consultation;
  triage: TriageSession;
  clinical: ClinicalSession;
  assessment: TriageAssessment;
};

export function makeClinical(deps: Deps, effects: ConsultationEffects) {
  const read = readRepository(deps.pool);

  /** The checks that need no lock; repeated under the lock in the transaction. */
  function assertUsable(c: ClinicalSession, now: Date) {
    if (c.status === 'consultation_created' || c.status === 'symptoms_collected')
      throw Errors.conflict(
        'CLINICAL_SESSION_USED',
        'This clinical session has already been used for a consultation.',
      );
    if (c.status === 'expired' || c.expiresAt.getTime() <= now.getTime()) throw clinicalSessionExpired();
  }

  /**
   * Seed 000 phase 2: the paid clinical session becomes a consultation with the doctor on shift now.
   * All in one transaction: a failure leaves the clinical session `awaiting_symptoms` (retryable),
   * never a consultation without its session marked used.
   */
  async function collectDetailedSymptoms(
    actor: Actor,
    input: TriageInput & { clinicalSessionId: string },
    who: AuditWho,
  ): Promise<DetailedResult> {
    const now = deps.clock.now();
    const found = await read().findClinical(input.clinicalSessionId);
    if (!found || found.patientId !== actor.userId) throw paymentNotConfirmed(400);
    const payment = await deps.payments.getById(found.paymentId);
    if (!payment || !PAID.has(payment.status)) {
      if (payment?.status === 'REFUNDED') throw clinicalSessionExpired();
      throw paymentNotConfirmed(400);
    }
    assertUsable(found, now);
    const { clinicalSessionId, ...triageInput } = input;
    const [assessment, onShift] = await Promise.all([
      runAssessment(deps, triageInput),
      effects.onShiftNow(now),
    ]);
    const result = await deps.uow(async (tx) => {
      const repo = consultationsRepository(tx.db);
      const clinical = (await repo.findClinicalForUpdate(clinicalSessionId))!;
      assertUsable(clinical, now);
      const triage = (await repo.findTriage(clinical.triageSessionId))!;
      const doctorId = await effects.chooseDoctor(tx, onShift);
      const consultation = await repo.insertConsultation({
        patientId: actor.userId,
        doctorId,
        source: 'on_demand',
        consultationType: triage.consultationType!,
        status: 'PENDING',
        pendingReason: pendingReasonFor({ doctorId, paymentCleared: true, billTiming: 'BEFORE' }),
        billTiming: 'BEFORE',
        paymentCleared: true,
        paymentId: clinical.paymentId,
        clinicalSessionId: clinical.id,
        triageSessionId: triage.id,
        urgency: assessment.urgency,
        symptoms: { preliminary: triage.input, detailed: triageInput },
        aiDiagnosis: assessment,
        chiefComplaint: null,
        createdAt: now,
        assignedAt: doctorId ? now : null,
        updatedAt: now,
      });
      await repo.updateClinical(clinical.id, {
        status: 'consultation_created',
        consultationId: consultation.id,
        updatedAt: now,
      });
      await effects.audit(tx, who, 'consultation.create', { type: 'consultation', id: consultation.id }, [
        'symptoms',
        'aiDiagnosis',
      ]);
      await effects.announce(tx, consultation);
      return { consultation, triage, clinical: { ...clinical, status: 'consultation_created' as const } };
    });
    return { ...result, assessment };
  }

  /** Unused at its expiry: expired, and the payment refunded in full (once, by idempotency key). */
  async function expireClinicalSession(id: string): Promise<'refunded' | 'skipped'> {
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const repo = consultationsRepository(tx.db);
      const c = await repo.findClinicalForUpdate(id);
      if (c?.status !== 'awaiting_symptoms' || c.expiresAt.getTime() > now.getTime()) return 'skipped';
      const refund = await deps.payments.requestRefund(tx, {
        paymentId: c.paymentId,
        reason: 'The paid consultation was not started before its session expired.',
        idempotencyKey: `clinical-session:${c.id}:expiry-refund`,
      });
      await repo.updateClinical(c.id, { status: 'expired', refundId: refund.refundId, updatedAt: now });
      return 'refunded';
    });
  }

  async function sweepClinicalSessions(): Promise<number> {
    const due = await read().listDueClinical(deps.clock.now(), 100);
    let refunded = 0;
    for (const id of due) if ((await expireClinicalSession(id)) === 'refunded') refunded++;
    return refunded;
  }

  return { collectDetailedSymptoms, expireClinicalSession, sweepClinicalSessions };
}
