import type { Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { PaymentFact } from './gateways/types.js';
import { captureJob, refundJob } from './payments.jobs.js';
import type { PayableHandlers, PayableKind, PaymentsDeps } from './payments.ports.js';
import { toHandlerView } from './payments.ports.js';
import { type PaymentRow, paymentsRepository } from './payments.repository.js';
import { checkRefund, decide, decideAuthorization, formatMoney, sameMoney } from './payments.rules.js';

export type PayableRegistry = Map<PayableKind, PayableHandlers>;

type Deps = Pick<PaymentsDeps, 'log' | 'notify' | 'getUser'> & { payables: PayableRegistry };

/** Receipts go through messaging's outbox in the same transaction; no-op until messaging is wired. */
export async function tellPatient(
  deps: Pick<PaymentsDeps, 'notify' | 'getUser'>,
  tx: Tx,
  p: PaymentRow,
  template: 'payment_received' | 'refund_processed',
  amountMinor: number,
  idempotencyKey: string,
): Promise<void> {
  if (!deps.notify) return;
  const user = await deps.getUser?.(p.patientId);
  await deps.notify(tx, {
    template,
    vars: {
      patientName: user?.fullName ?? 'there',
      amount: formatMoney(amountMinor, p.currency),
      reference: p.orderId ?? p.id,
    },
    recipient: { userId: p.patientId, ...(user?.phone ? { phone: user.phone } : {}) },
    idempotencyKey,
  });
}

/**
 * Inserts a refund row and reserves its amount on the locked payment; the gateway call is a job.
 * Callers hold the payment row lock, so the ceiling check and the reservation are atomic.
 */
export async function reserveRefund(
  tx: Tx,
  p: PaymentRow,
  req: { amount?: number; reason: string; idempotencyKey: string; source: 'admin' | 'payable' | 'late' },
  now: Date,
) {
  const repo = paymentsRepository(tx.db);
  const check = checkRefund(p, req.amount);
  if (!check.ok) return check;
  const refund = await repo.insertRefund({
    paymentId: p.id,
    amountMinor: check.amount,
    currency: p.currency,
    source: req.source,
    reason: req.reason,
    idempotencyKey: req.idempotencyKey,
    createdAt: now,
  });
  // The key was taken meanwhile by a refund of another payment (this payment's lock is ours).
  if (!refund)
    throw Errors.conflict('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was used for a different refund.');
  const updated = await repo.update(p.id, {
    refundPendingMinor: p.refundPendingMinor + check.amount,
    updatedAt: now,
  });
  await tx.enqueue(refundJob, { refundId: refund.id });
  return { ok: true as const, refund, payment: updated };
}

/**
 * An authorisation is not money yet: queue its capture (a job, never a network call in this
 * transaction). The capture job comes back through `applyPaymentFact` with `succeeded`.
 */
async function noteAuthorization(deps: Deps, tx: Tx, p: PaymentRow, fact: PaymentFact, now: Date) {
  if (!fact.paymentRef) return 'ignored';
  const d = decideAuthorization(p, fact);
  if (d.action === 'none' && d.reason !== 'amount_mismatch') {
    if (d.reason === 'second_authorization')
      deps.log.warn(
        { paymentId: p.id },
        'a second authorisation on a paid order is left for the gateway to release',
      );
    return d.reason;
  }
  // Recorded on an unpaid payment only, so reconciliation lists an authorisation for another amount.
  await paymentsRepository(tx.db).update(p.id, {
    gatewayStatus: 'authorized',
    gatewayAmountMinor: fact.amountMinor ?? p.gatewayAmountMinor,
    gatewayCheckedAt: now,
    updatedAt: now,
  });
  if (d.action === 'none') {
    deps.log.warn(
      { paymentId: p.id },
      'authorised amount or currency differs from the payment; not captured',
    );
    return d.reason;
  }
  await tx.enqueue(
    captureJob,
    { paymentId: p.id, paymentRef: fact.paymentRef },
    { singletonKey: `${p.id}:${fact.paymentRef}` },
  );
  return 'capture_queued';
}

/**
 * Applies one gateway fact to a payment the caller has locked (`select ... for update`), in the
 * caller's transaction. Webhooks, the client callback and the reconciler all come through here, so
 * whichever sees the money first credits it and the others change nothing (money.md 11, 12).
 * Returns what happened, for the webhook inbox's `outcome`.
 */
export async function applyPaymentFact(
  deps: Deps,
  tx: Tx,
  locked: PaymentRow,
  fact: PaymentFact,
  now: Date,
): Promise<string> {
  if (fact.outcome === 'authorized') return noteAuthorization(deps, tx, locked, fact, now);
  const repo = paymentsRepository(tx.db);
  let p = await repo.update(locked.id, {
    gatewayStatus: fact.outcome === 'succeeded' ? 'paid' : fact.outcome,
    gatewayAmountMinor: fact.amountMinor ?? locked.gatewayAmountMinor,
    gatewayCheckedAt: now,
    updatedAt: now,
  });
  if (fact.outcome === 'succeeded' && !sameMoney(p, fact)) {
    // Never credit a different amount; reconciliation lists it for a person to resolve.
    deps.log.warn({ paymentId: p.id }, 'gateway amount or currency differs from the payment');
    return 'amount_mismatch';
  }
  if (
    fact.outcome === 'succeeded' &&
    p.capturedMinor > 0 &&
    fact.paymentRef &&
    p.paymentId &&
    fact.paymentRef !== p.paymentId
  ) {
    // A second capture on one order (possible with Razorpay): never a second credit; a person refunds it.
    deps.log.error({ paymentId: p.id }, 'a second gateway payment was captured for one order');
    return 'second_capture';
  }
  const handlers = deps.payables.get(p.payableKind);
  if (!handlers) throw new Error(`no payable handlers registered for kind ${p.payableKind}`);
  const d = decide(p, fact.outcome, now, { retryable: fact.retryable });
  switch (d.action) {
    case 'none':
      return d.reason;
    case 'fail':
      p = await repo.update(p.id, {
        status: 'FAILED',
        failedAt: now,
        paymentId: p.paymentId ?? fact.paymentRef ?? null,
      });
      await handlers.onFailed(tx, toHandlerView(p));
      return 'failed';
    case 'expire':
      p = await repo.update(p.id, { status: 'EXPIRED' });
      await handlers.onExpired(tx, toHandlerView(p));
      return 'expired';
    case 'succeed':
    case 'late': {
      p = await repo.update(p.id, {
        status: 'SUCCEEDED',
        paidAt: now,
        capturedMinor: p.amountMinor,
        paymentId: fact.paymentRef ?? p.paymentId,
      });
      await tellPatient(deps, tx, p, 'payment_received', p.amountMinor, `payment:${p.id}:received`);
      if (d.action === 'succeed') {
        await handlers.onSucceeded(tx, toHandlerView(p));
        return 'succeeded';
      }
      return settleLate(tx, p, handlers, now);
    }
  }
}

/** Late money has exactly one outcome (money.md 10): fulfilled, or refunded in full with its key. */
async function settleLate(tx: Tx, p: PaymentRow, handlers: PayableHandlers, now: Date) {
  const repo = paymentsRepository(tx.db);
  const outcome = await handlers.onLate(tx, toHandlerView(p));
  const current = await repo.update(p.id, { lateOutcome: outcome });
  if (outcome === 'fulfilled') return 'late_fulfilled';
  const res = await reserveRefund(
    tx,
    current,
    {
      reason: 'Payment arrived after the booking was no longer available.',
      idempotencyKey: `payment:${p.id}:late-refund`,
      source: 'late',
    },
    now,
  );
  // The payable may already have asked for this refund itself (same transaction).
  if (!res.ok && res.code !== 'PAYMENT_NOT_REFUNDABLE') throw new Error(`late refund refused: ${res.code}`);
  return 'late_refund';
}
