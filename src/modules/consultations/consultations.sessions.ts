import type { ConsultationsDeps } from './consultations.ports.js';
import { readRepository } from './consultations.repository.js';

const PAID = new Set(['SUCCEEDED', 'PARTIALLY_REFUNDED']);

/**
 * A consultation as the sessions module needs it to run a text or call session on it (no clinical
 * data, so no audit row). `paid`: the money is cleared as of now; `payment`: the gateway money left
 * after refunds (null for desk-paid or billed-after consultations).
 */
export type ConsultationForSession = {
  id: string;
  patientId: string;
  doctorId: string | null;
  status: 'PENDING' | 'ACTIVE' | 'CLOSED' | 'CANCELLED';
  paid: boolean;
  payment: { id: string; amountMinor: number; currency: string } | null;
};

export function makeSessionLookup(deps: Pick<ConsultationsDeps, 'pool' | 'payments'>) {
  const read = readRepository(deps.pool);
  return async function forSession(id: string): Promise<ConsultationForSession | null> {
    const c = await read().findConsultation(id);
    if (!c) return null;
    const p = c.paymentId ? await deps.payments.getById(c.paymentId) : null;
    const left = p ? p.amount.amount - p.refunded.amount - p.refundPending.amount : 0;
    const paid = c.paymentCleared && (!c.paymentId || (!!p && PAID.has(p.status) && left > 0));
    return {
      id: c.id,
      patientId: c.patientId,
      doctorId: c.doctorId,
      status: c.status,
      paid: paid || c.billTiming === 'AFTER',
      payment: p && paid ? { id: p.id, amountMinor: left, currency: p.amount.currency } : null,
    };
  };
}
