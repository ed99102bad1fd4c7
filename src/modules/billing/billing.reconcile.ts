import type { BillingDeps } from './billing.ports.js';

export type LedgerMismatch = {
  code: 'PAYMENT_NOT_IN_LEDGER' | 'EARNING_WITHOUT_SESSION' | 'LEDGER_UNBALANCED';
  subscriptionId?: string;
  transferId?: string;
  currency?: string;
  paymentId?: string;
  payableKind?: 'appointment' | 'consultation';
  payableId?: string;
  amount?: number;
};

/** How far back reconciliation compares paid payables with the ledger (pending earnings live 90 days). */
export const RECONCILE_WINDOW_DAYS = 90;

/**
 * Paid appointments and consultations whose money is missing from the ledger. Payments names the
 * paid payables; each must have its `payment:{id}:received` transfer. An appointment's money enters
 * the ledger in the payment's own transaction; a consultation's when its first session starts (the
 * doctor is unknown before), so a consultation counts only once a session on it exists. A report-only
 * read joins consultations' `payment_id` (payments' payable id for a consultation is its triage
 * session, not the consultation).
 */
export async function paidPayablesMissing(deps: BillingDeps): Promise<LedgerMismatch[]> {
  const now = deps.clock.now();
  const paid = await deps.payments.listPaidPayables({
    kinds: ['appointment', 'consultation'],
    from: new Date(now.getTime() - RECONCILE_WINDOW_DAYS * 86_400_000),
  });
  if (paid.length === 0) return [];
  const missing = await deps.pool.query<{ payment_id: string }>(
    `select p.payment_id from unnest($1::uuid[], $2::text[], $3::uuid[]) as p(payment_id, kind, payable_id)
     where not exists (select 1 from ledger_transfers t where t.idempotency_key = 'payment:' || p.payment_id || ':received')
       and (p.kind = 'appointment' or exists (
         select 1 from consultations c join sessions s on s.consultation_id = c.id where c.payment_id = p.payment_id))`,
    [paid.map((p) => p.paymentId), paid.map((p) => p.payableKind), paid.map((p) => p.payableId)],
  );
  const gaps = new Set(missing.rows.map((r) => r.payment_id));
  return paid
    .filter((p) => gaps.has(p.paymentId))
    .map((p) => ({
      code: 'PAYMENT_NOT_IN_LEDGER' as const,
      paymentId: p.paymentId,
      payableKind: p.payableKind as 'appointment' | 'consultation',
      payableId: p.payableId,
      amount: p.capturedMinor,
      currency: p.currency,
    }));
}
