import { drizzle } from 'drizzle-orm/node-postgres';
import type { Actor } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { Money } from '../../platform/money.js';
import type { AuditWho, ConsultationEffects } from './consultations.effects.js';
import type {
  CheckoutInfo,
  ConsultationsDeps,
  PayableHandlers,
  ServiceEntry,
} from './consultations.ports.js';
import { type Consultation, consultationsRepository, readRepository } from './consultations.repository.js';
import { dayBounds, pendingReasonFor, transition } from './consultations.rules.js';
import type { VISIT_PAYMENT_METHODS } from './consultations.table.js';
import { type Visit, visitsRepository } from './consultations.visits.repository.js';

type Deps = Pick<
  ConsultationsDeps,
  'config' | 'clock' | 'uow' | 'pool' | 'payments' | 'services' | 'identity'
>;
export type PaymentMethod = (typeof VISIT_PAYMENT_METHODS)[number];
export type VisitResult = { visit: Visit; consultation: Consultation | null };

/** GOPD visits driven by the service catalog (seed 002); the bill timing decides when a consultation exists. */
export function makeVisits(deps: Deps, effects: ConsultationEffects) {
  const read = readRepository(deps.pool);
  const readVisits = visitsRepository(drizzle(deps.pool, { casing: 'snake_case' }));

  async function gopdService(code: string): Promise<ServiceEntry> {
    const s = await deps.services.get(code);
    if (!s?.isActive) throw Errors.notFound('Service', code);
    if (s.workflowType !== 'GOPD_CONSULT')
      throw Errors.badRequest('SERVICE_NOT_GOPD', `Service ${code} is not a GOPD consultation.`);
    return s;
  }

  async function createConsultation(
    tx: Tx,
    visit: Visit,
    opts: { active: boolean; doctorId: string | null; paymentId: string | null },
    who: AuditWho,
  ) {
    const { active, doctorId } = opts;
    const now = deps.clock.now();
    const paymentCleared = visit.paymentStatus === 'PAID';
    const c = await consultationsRepository(tx.db).insertConsultation({
      patientId: visit.patientId,
      doctorId,
      source: 'gopd',
      consultationType: 'gopd',
      status: active ? 'ACTIVE' : 'PENDING',
      pendingReason: active
        ? null
        : pendingReasonFor({ doctorId, paymentCleared, billTiming: visit.billTiming }),
      billTiming: visit.billTiming,
      paymentCleared,
      paymentId: opts.paymentId,
      visitId: visit.id,
      serviceCode: visit.serviceCode,
      chiefComplaint: visit.chiefComplaint,
      createdAt: now,
      assignedAt: doctorId ? now : null,
      activatedAt: active ? now : null,
      updatedAt: now,
    });
    await effects.audit(tx, who, 'consultation.create', { type: 'consultation', id: c.id }, [
      'chiefComplaint',
    ]);
    await effects.announce(tx, c);
    return c;
  }

  async function openVisit(
    actor: Actor,
    input: { patientId: string; serviceCode: string; paymentType?: string; chiefComplaint?: string },
    who: AuditWho,
  ): Promise<VisitResult & { created: boolean }> {
    const [service, patient] = await Promise.all([
      gopdService(input.serviceCode),
      deps.identity.getUser(input.patientId),
    ]);
    if (patient?.role !== 'patient') throw Errors.notFound('Patient', input.patientId);
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const visits = visitsRepository(tx.db);
      const existing = await visits.findOpenForPatient(input.patientId);
      if (existing)
        return {
          visit: existing,
          consultation: await consultationsRepository(tx.db).findConsultationForVisit(existing.id),
          created: false,
        };
      const visit = await visits.insertOpen({
        patientId: input.patientId,
        serviceCode: service.code,
        billTiming: service.billTiming,
        status: 'OPEN',
        paymentStatus: 'UNPAID',
        priceMinor: service.price.amount,
        currency: service.price.currency,
        paymentType: input.paymentType ?? null,
        chiefComplaint: input.chiefComplaint ?? null,
        openedBy: actor.userId,
        openedAt: now,
      });
      if (!visit) {
        // Another desk opened one a moment ago: the unique index waited for its commit, so it is visible now.
        const theirs = (await visits.findOpenForPatient(input.patientId))!;
        const consultation = await consultationsRepository(tx.db).findConsultationForVisit(theirs.id);
        return { visit: theirs, consultation, created: false };
      }
      if (visit.chiefComplaint)
        await effects.audit(tx, who, 'visit.create', { type: 'visit', id: visit.id }, ['chiefComplaint']);
      const consultation =
        service.billTiming === 'AFTER'
          ? await createConsultation(
              tx,
              visit,
              { active: true, doctorId: service.autoAssignDoctorId, paymentId: null },
              who,
            )
          : null;
      return { visit, consultation, created: true };
    });
  }

  /** Marks the visit paid and creates (BEFORE) or clears (AFTER) its consultation; idempotent. */
  async function clearVisit(
    tx: Tx,
    visitId: string,
    paid: { method: PaymentMethod; amount: Money; gatewayPaymentId: string | null; by: string | null },
    who: AuditWho,
  ): Promise<VisitResult | null> {
    const visits = visitsRepository(tx.db);
    const repo = consultationsRepository(tx.db);
    const v = await visits.findForUpdate(visitId);
    if (v?.status !== 'OPEN' || v.paymentStatus !== 'UNPAID') return null;
    const now = deps.clock.now();
    await visits.insertPayment({
      visitId,
      method: paid.method,
      amountMinor: paid.amount.amount,
      currency: paid.amount.currency,
      gatewayPaymentId: paid.gatewayPaymentId,
      recordedBy: paid.by,
      createdAt: now,
    });
    const visit = await visits.update(visitId, {
      paymentStatus: 'PAID',
      paidAt: now,
      paymentType: paid.method,
    });
    const existing = await repo.findConsultationForVisit(visitId);
    if (existing) {
      const next = transition(existing, { type: 'payment_cleared' });
      return {
        visit,
        consultation: await repo.updateConsultation(existing.id, {
          ...next,
          paymentId: paid.gatewayPaymentId ?? existing.paymentId,
          updatedAt: now,
        }),
      };
    }
    const service = await deps.services.get(v.serviceCode, tx);
    return {
      visit,
      consultation: await createConsultation(
        tx,
        visit,
        { active: false, doctorId: service?.autoAssignDoctorId ?? null, paymentId: paid.gatewayPaymentId },
        who,
      ),
    };
  }

  async function recordPayment(
    actor: Actor,
    visitId: string,
    input: { amount: Money; method: PaymentMethod; provider?: string },
    who: AuditWho,
  ): Promise<
    VisitResult & {
      payment: {
        method: PaymentMethod;
        status: 'PAID' | 'PENDING';
        amount: Money;
        checkout: CheckoutInfo | null;
      };
    }
  > {
    const v = await readVisits.find(visitId);
    if (!v) throw Errors.notFound('Visit', visitId);
    if (v.status !== 'OPEN') throw Errors.conflict('VISIT_CLOSED', 'This visit is closed.');
    if (v.paymentStatus !== 'UNPAID')
      throw Errors.conflict('VISIT_ALREADY_PAID', 'This visit is already paid.');
    if (input.amount.amount !== v.priceMinor || input.amount.currency.toUpperCase() !== v.currency)
      throw Errors.badRequest(
        'PAYMENT_AMOUNT_MISMATCH',
        `This visit costs ${v.currency} ${(v.priceMinor / 100).toFixed(2)}.`,
      );
    const amount = { amount: v.priceMinor, currency: v.currency };
    if (input.method !== 'GATEWAY') {
      const r = await deps.uow((tx) =>
        clearVisit(
          tx,
          visitId,
          { method: input.method, amount, gatewayPaymentId: null, by: actor.userId },
          who,
        ),
      );
      if (!r) throw Errors.conflict('VISIT_ALREADY_PAID', 'This visit is already paid.');
      return { ...r, payment: { method: input.method, status: 'PAID', amount, checkout: null } };
    }
    const now = deps.clock.now();
    const paymentId = await deps.uow(async (tx) => {
      const locked = (await visitsRepository(tx.db).findForUpdate(visitId))!;
      if (locked.paymentStatus !== 'UNPAID')
        throw Errors.conflict('VISIT_ALREADY_PAID', 'This visit is already paid.');
      const { paymentId } = await deps.payments.preparePayment(tx, {
        payableKind: 'visit',
        payableId: visitId,
        patientId: locked.patientId,
        amount,
        ...(input.provider ? { provider: input.provider } : {}),
        expiresAt: new Date(now.getTime() + deps.config.booking.holdMinutes * 60_000),
        description: `Visit ${locked.serviceCode}`,
        idempotencyKey: `visit:${visitId}:gateway:${now.getTime()}`,
      });
      await visitsRepository(tx.db).update(visitId, { gatewayPaymentId: paymentId });
      return paymentId;
    });
    const checkout = await deps.payments.openCheckout(paymentId);
    return {
      visit: (await readVisits.find(visitId))!,
      consultation: await read().findConsultationForVisit(visitId),
      payment: { method: 'GATEWAY', status: 'PENDING', amount, checkout },
    };
  }

  async function closeVisit(_actor: Actor, visitId: string): Promise<VisitResult> {
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const visits = visitsRepository(tx.db);
      const v = await visits.findForUpdate(visitId);
      if (!v) throw Errors.notFound('Visit', visitId);
      if (v.paymentStatus === 'UNPAID')
        throw Errors.conflict('VISIT_UNPAID', 'The visit cannot close until it is paid.');
      const visit =
        v.status === 'CLOSED' ? v : await visits.update(visitId, { status: 'CLOSED', closedAt: now });
      return { visit, consultation: await consultationsRepository(tx.db).findConsultationForVisit(visitId) };
    });
  }

  async function listVisits(q: { date: string; limit: number; cursor?: string }) {
    const { from, to } = dayBounds(q.date, deps.config.consultations.clinicTimeZone);
    let after: { openedAt: Date; id: string } | undefined;
    if (q.cursor) {
      const [at, id] = q.cursor.split('|');
      const openedAt = new Date(at ?? '');
      if (!id || Number.isNaN(openedAt.getTime()))
        throw Errors.badRequest('CURSOR_INVALID', 'The cursor is not valid.');
      after = { openedAt, id };
    }
    const rows = await readVisits.listOpenedBetween(from, to, q.limit, after);
    const page = rows.slice(0, q.limit);
    const items = await Promise.all(
      page.map(async (visit) => ({ visit, consultation: await read().findConsultationForVisit(visit.id) })),
    );
    const last = page.at(-1);
    return {
      items,
      nextCursor: rows.length > q.limit && last ? `${last.openedAt.toISOString()}|${last.id}` : null,
    };
  }

  const gatewaySettle = async (tx: Tx, p: { id: string; payableId: string; amountMinor?: number }) => {
    const v = await visitsRepository(tx.db).findForUpdate(p.payableId);
    if (!v || v.gatewayPaymentId !== p.id) return null;
    const amount = { amount: v.priceMinor, currency: v.currency };
    return clearVisit(
      tx,
      v.id,
      { method: 'GATEWAY', amount, gatewayPaymentId: p.id, by: null },
      { actor: null },
    );
  };

  const handlers: PayableHandlers = {
    async onSucceeded(tx, payment) {
      if (await gatewaySettle(tx, payment)) return;
      const v = await visitsRepository(tx.db).find(payment.payableId);
      if (v?.paymentStatus === 'PAID' && v.gatewayPaymentId === payment.id) return;
      await deps.payments.requestRefund(tx, {
        paymentId: payment.id,
        reason: 'The visit was already paid or closed when this payment arrived.',
        idempotencyKey: `visit:${payment.payableId}:surplus-refund:${payment.id}`,
      });
    },
    onFailed: async () => {},
    onExpired: async () => {},
    onLate: async (tx, payment) => ((await gatewaySettle(tx, payment)) ? 'fulfilled' : 'refund'),
    async describe(payableId) {
      const v = await readVisits.find(payableId);
      return v ? { state: `${v.status}/${v.paymentStatus}`, paid: v.paymentStatus === 'PAID' } : null;
    },
  };

  return { openVisit, recordPayment, closeVisit, listVisits, handlers };
}
