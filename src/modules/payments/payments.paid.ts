import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, ne, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/uow.js';
import type { PayableKind } from './payments.ports.js';
import { payments } from './payments.table.js';

export type PaidPayable = {
  paymentId: string;
  payableKind: PayableKind;
  payableId: string;
  patientId: string;
  amountMinor: number;
  capturedMinor: number;
  refundedMinor: number;
  currency: string;
  status: string;
  paidAt: Date;
};

export type PaidPayablesQuery = { from?: Date; to?: Date; kinds?: PayableKind[]; limit?: number };

/**
 * Payables the money reached: each primary payment that was captured (refunded since or not) and
 * that its payable accepted (a late payment sent back is left out), oldest first. `from`/`to` bound
 * `paidAt` (to exclusive). For billing's reconciliation against the ledger.
 */
export async function listPaidPayables(db: Db, q: PaidPayablesQuery = {}): Promise<PaidPayable[]> {
  const where: SQL[] = [
    inArray(payments.status, ['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED']),
    eq(payments.kind, 'primary'),
    isNotNull(payments.paidAt),
    or(isNull(payments.lateOutcome), ne(payments.lateOutcome, 'refund'))!,
  ];
  if (q.kinds?.length) where.push(inArray(payments.payableKind, q.kinds));
  if (q.from) where.push(gte(payments.paidAt, q.from));
  if (q.to) where.push(lt(payments.paidAt, q.to));
  const rows = await db
    .select({
      paymentId: payments.id,
      payableKind: payments.payableKind,
      payableId: payments.payableId,
      patientId: payments.patientId,
      amountMinor: payments.amountMinor,
      capturedMinor: payments.capturedMinor,
      refundedMinor: payments.refundedMinor,
      currency: payments.currency,
      status: payments.status,
      paidAt: payments.paidAt,
    })
    .from(payments)
    .where(and(...where))
    .orderBy(asc(payments.paidAt), asc(payments.id))
    .limit(q.limit ?? 5000);
  return rows.map((r) => ({ ...r, paidAt: r.paidAt! }));
}
