import type { Actor } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import { AppError, Errors } from '../../platform/errors.js';
import type { AuditWho, ConsultationEffects } from './consultations.effects.js';
import { clinicalExpiryJob } from './consultations.jobs.js';
import type {
  CheckoutInfo,
  ConsultationsDeps,
  PayableHandlers,
  PaymentForHandler,
} from './consultations.ports.js';
import {
  type ClinicalSession,
  consultationsRepository,
  readRepository,
  type TriageSession,
} from './consultations.repository.js';
import {
  assessSymptoms,
  type ConsultationType,
  refineWithLlm,
  type TriageAssessment,
  type TriageInput,
} from './triage/index.js';

/** A triage session can be paid for this long after the symptoms were collected. */
export const TRIAGE_SESSION_MINUTES = 60;

const WORKFLOW_OF = { chat: 'ONLINE_CHAT', video: 'ONLINE_VIDEO', emergency: 'ONLINE_EMERGENCY' } as const;

export const paymentNotConfirmed = (status = 409) =>
  new AppError(
    status,
    'PAYMENT_NOT_CONFIRMED',
    status === 400
      ? 'Payment not confirmed. Please complete payment first.'
      : 'The payment gateway has not confirmed this payment yet.',
  );

type Deps = Pick<ConsultationsDeps, 'config' | 'clock' | 'uow' | 'pool' | 'payments' | 'services' | 'log'>;

/** Runs the rules, then the LLM refinement when configured (it never lowers urgency and never throws). */
export async function runAssessment(
  deps: Pick<Deps, 'config'>,
  input: TriageInput,
): Promise<TriageAssessment> {
  const rules = assessSymptoms(input);
  const llm = deps.config.consultations.llm;
  if (!llm) return rules;
  return refineWithLlm(input, rules, llm);
}

export function makeTriage(deps: Deps, effects: ConsultationEffects) {
  const read = readRepository(deps.pool);

  async function ownSession(actor: Actor, sessionId: string): Promise<TriageSession> {
    const s = await read().findTriage(sessionId);
    if (!s || s.patientId !== actor.userId) throw Errors.notFound('Triage session', sessionId);
    return s;
  }

  async function collectSymptoms(actor: Actor, input: TriageInput, who: AuditWho) {
    const assessment = await runAssessment(deps, input);
    const now = deps.clock.now();
    const session = await deps.uow(async (tx) => {
      const s = await consultationsRepository(tx.db).insertTriage({
        patientId: actor.userId,
        status: 'symptoms_collected',
        input,
        assessment,
        urgency: assessment.urgency,
        expiresAt: new Date(now.getTime() + TRIAGE_SESSION_MINUTES * 60_000),
        createdAt: now,
        updatedAt: now,
      });
      await effects.audit(tx, who, 'triage.symptoms.create', { type: 'triage_session', id: s.id }, [
        'symptoms',
        'assessment',
      ]);
      return s;
    });
    return { session, assessment };
  }

  /** Prices the type from the service catalog and opens a payment for this triage session. */
  async function selectConsultation(
    actor: Actor,
    input: { sessionId: string; consultationType: ConsultationType; provider?: string },
  ): Promise<{ session: TriageSession; payment: CheckoutInfo }> {
    const now = deps.clock.now();
    const s = await ownSession(actor, input.sessionId);
    const assessment = s.assessment as TriageAssessment;
    if (assessment.urgency === 'emergency')
      throw Errors.conflict(
        'EMERGENCY_SERVICES_REQUIRED',
        `${assessment.advice} An online consultation is not the right place for this; no payment is taken.`,
      );
    if (s.status === 'payment_confirmed')
      throw Errors.conflict('PAYMENT_ALREADY_CONFIRMED', 'This session is already paid for.');
    if (s.expiresAt.getTime() <= now.getTime())
      throw new AppError(
        410,
        'TRIAGE_SESSION_EXPIRED',
        'This triage session has expired; describe your symptoms again.',
      );
    if (!assessment.recommendedConsultationTypes.includes(input.consultationType))
      throw Errors.badRequest(
        'CONSULTATION_TYPE_NOT_RECOMMENDED',
        `For these symptoms choose one of: ${assessment.recommendedConsultationTypes.join(', ')}.`,
      );
    const service = await deps.services.findActiveByWorkflow(WORKFLOW_OF[input.consultationType]);
    if (!service)
      throw Errors.conflict(
        'CONSULTATION_TYPE_UNAVAILABLE',
        `${input.consultationType} consultations are not offered now.`,
      );
    const holdEnds = new Date(now.getTime() + deps.config.booking.holdMinutes * 60_000);
    // The same choice again reuses its payment while that can still be paid; otherwise a new one.
    const current = s.paymentId ? await deps.payments.getById(s.paymentId) : null;
    const reusable =
      current?.status === 'CREATED' && new Date(current.expiresAt).getTime() > now.getTime()
        ? current.id
        : null;
    const updated = await deps.uow(async (tx) => {
      const repo = consultationsRepository(tx.db);
      const locked = (await repo.findTriageForUpdate(s.id))!;
      if (locked.status === 'payment_confirmed')
        throw Errors.conflict('PAYMENT_ALREADY_CONFIRMED', 'This session is already paid for.');
      if (locked.consultationType === input.consultationType && reusable && locked.paymentId === reusable)
        return locked;
      const { paymentId } = await deps.payments.preparePayment(tx, {
        payableKind: 'consultation',
        payableId: s.id,
        patientId: actor.userId,
        amount: service.price,
        ...(input.provider ? { provider: input.provider } : {}),
        expiresAt: holdEnds,
        description: `${service.name} consultation`,
        idempotencyKey: `triage:${s.id}:payment:${input.consultationType}:${now.getTime()}`,
      });
      return (await repo.updateTriage(s.id, {
        status: 'payment_pending',
        consultationType: input.consultationType,
        paymentId,
        updatedAt: now,
      }))!;
    });
    // After the commit: the gateway call (never inside a transaction).
    return { session: updated, payment: await deps.payments.openCheckout(updated.paymentId!) };
  }

  /** Moves a paid triage session to `payment_confirmed` with its clinical session; idempotent. */
  async function settlePaid(
    tx: Tx,
    triageSessionId: string,
    paymentId: string,
  ): Promise<ClinicalSession | null> {
    const repo = consultationsRepository(tx.db);
    const s = await repo.findTriageForUpdate(triageSessionId);
    if (!s || s.paymentId !== paymentId) return null;
    const now = deps.clock.now();
    if (s.status !== 'payment_confirmed') {
      await repo.updateTriage(s.id, { status: 'payment_confirmed', updatedAt: now });
      await repo.insertClinical({
        triageSessionId: s.id,
        patientId: s.patientId,
        paymentId,
        status: 'awaiting_symptoms',
        expiresAt: new Date(now.getTime() + deps.config.consultations.clinicalSessionMinutes * 60_000),
        createdAt: now,
        updatedAt: now,
      });
      const created = (await repo.findClinicalByTriage(s.id))!;
      await tx.enqueue(
        clinicalExpiryJob,
        { clinicalSessionId: created.id },
        { startAfter: created.expiresAt },
      );
    }
    return repo.findClinicalByTriage(s.id);
  }

  /**
   * Seed 000 phase 1: only the payment. Verified with the gateway server-side (the callback's proof when
   * given, else the payment's state as webhooks left it); no consultation, no doctor.
   */
  async function confirmPayment(
    actor: Actor,
    input: { sessionId: string; paymentId: string; orderId?: string; signature?: string },
    who: AuditWho,
  ) {
    const s = await ownSession(actor, input.sessionId);
    if (!s.paymentId) throw paymentNotConfirmed();
    let payment = await deps.payments.getById(s.paymentId);
    if (
      !payment ||
      (input.paymentId !== payment.id && input.paymentId !== payment.paymentId && !input.signature)
    )
      throw Errors.badRequest('PAYMENT_MISMATCH', 'That payment does not belong to this session.');
    if (payment.status === 'CREATED' && input.orderId && input.signature) {
      await deps.payments.verifyClientCallback({
        provider: payment.provider,
        orderId: input.orderId,
        paymentId: input.paymentId,
        signature: input.signature,
        payableKind: 'consultation',
        payableId: s.id,
      });
      payment = (await deps.payments.getById(s.paymentId))!;
    }
    if (payment.status !== 'SUCCEEDED') throw paymentNotConfirmed();
    const clinical = await deps.uow(async (tx) => {
      const c = await settlePaid(tx, s.id, payment.id);
      if (!c) throw paymentNotConfirmed();
      await effects.audit(tx, who, 'consultation.payment.confirm', { type: 'triage_session', id: s.id });
      return c;
    });
    return { session: s, payment, clinical };
  }

  const handlers: PayableHandlers = {
    async onSucceeded(tx, payment: PaymentForHandler) {
      if (await settlePaid(tx, payment.payableId, payment.id)) return;
      // Money for a superseded selection (the patient chose another type): give it back.
      await deps.payments.requestRefund(tx, {
        paymentId: payment.id,
        reason: 'This payment was replaced by another one for the same consultation.',
        idempotencyKey: `triage:${payment.payableId}:superseded-refund:${payment.id}`,
      });
    },
    onFailed: async () => {},
    onExpired: async () => {},
    // Late money still buys the consultation: the clinical session has its own expiry and refund.
    onLate: async (tx, payment) =>
      (await settlePaid(tx, payment.payableId, payment.id)) ? 'fulfilled' : 'refund',
    async describe(payableId) {
      const s = await read().findTriage(payableId);
      return s ? { state: s.status, paid: s.status === 'payment_confirmed' } : null;
    },
  };

  return { collectSymptoms, selectConsultation, confirmPayment, handlers };
}
