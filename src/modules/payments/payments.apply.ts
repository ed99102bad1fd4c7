import type { Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import { formatMoney } from '../../platform/money.js';
import type { PaymentFact } from './gateways/types.js';
import { captureJob, refundJob } from './payments.jobs.js';
import type { PayableHandlers, PayableKind, PaymentsDeps } from './payments.ports.js';
import { toHandlerView } from './payments.ports.js';
import { type PaymentRow, paymentsRepository } from './payments.repository.js';
import {
  type AuthorizationDecision,
  checkRefund,
  decide,
  decideAuthorization,
  isSecondCapture,
  mustTransition,
  NEW_PAYMENT,
  type PaymentDecision,
  type PaymentEvent,
  sameMoney,
  secondCaptureKey,
} from './payments.rules.js';

export type PayableRegistry = Map<PayableKind, PayableHandlers>;

/** Runs inside a unit of work: transaction-bound collaborators only (no pool, no pool reads). */
type Deps = Pick<PaymentsDeps, 'log' | 'counters' | 'messaging'> & {
  identity: Pick<PaymentsDeps['identity'], 'within'>;
  payables: PayableRegistry;
};

/** What applying one gateway fact did; the webhook inbox records it and counts it (a closed set). */
export type FactOutcome =
  | Extract<PaymentDecision, { action: 'none' }>['reason']
  | Extract<AuthorizationDecision, { action: 'none' }>['reason']
  | 'ignored'
  | 'capture_queued'
  | 'amount_mismatch'
  | 'failed'
  | 'expired'
  | 'succeeded'
  | 'late_fulfilled'
  | 'late_refund'
  | 'second_capture'
  | 'second_capture_known';

/** Receipts go through messaging's outbox in the same transaction; the name is read on it too. */
export async function tellPatient(
  deps: Pick<Deps, 'messaging' | 'identity'>,
  tx: Tx,
  p: PaymentRow,
  template: 'payment_received' | 'refund_processed',
  amountMinor: number,
  idempotencyKey: string,
): Promise<void> {
  const user = await deps.identity.within(tx).getUser(p.patientId);
  await deps.messaging.notify(tx, {
    template,
    vars: {
      patientName: user?.fullName ?? 'there',
      amount: formatMoney(amountMinor, p.currency),
      // A second capture's record has no order: the gateway payment id is what the patient knows.
      reference: p.orderId ?? p.gatewayPaymentRef ?? p.id,
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
  req: {
    amount?: number;
    reason: string;
    idempotencyKey: string;
    source: 'admin' | 'payable' | 'late' | 'duplicate';
  },
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
  const updated = await repo.reserveRefund(p.id, p.refundPendingMinor + check.amount, now);
  await tx.enqueue(refundJob, { refundId: refund.id });
  return { ok: true as const, refund, payment: updated };
}

/**
 * An authorisation is not money yet: queue its capture (a job, never a network call in this
 * transaction). The capture job comes back through `applyPaymentFact` with `succeeded`.
 */
async function noteAuthorization(
  deps: Deps,
  tx: Tx,
  p: PaymentRow,
  fact: PaymentFact,
  now: Date,
): Promise<FactOutcome> {
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
  await paymentsRepository(tx.db).recordGatewayView(p.id, {
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
): Promise<FactOutcome> {
  if (fact.outcome === 'authorized') return noteAuthorization(deps, tx, locked, fact, now);
  if (isSecondCapture(locked, fact)) return refundSecondCapture(deps, tx, locked, fact, now);
  const repo = paymentsRepository(tx.db);
  let p = await repo.recordGatewayView(locked.id, {
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
  const handlers = deps.payables.get(p.payableKind);
  if (!handlers) throw new Error(`no payable handlers registered for kind ${p.payableKind}`);
  const d = decide(p, fact.outcome, now, { retryable: fact.retryable, paidAt: fact.paidAt });
  switch (d.action) {
    case 'none':
      return d.reason;
    case 'fail':
      p = await repo.markFailed(
        p.id,
        mustTransition(p, { type: 'failed', at: now, paymentRef: fact.paymentRef ?? null }),
        now,
      );
      await handlers.onFailed(tx, toHandlerView(p));
      return 'failed';
    case 'expire':
      p = await repo.markExpired(p.id, mustTransition(p, { type: 'expired' }), now);
      await handlers.onExpired(tx, toHandlerView(p));
      return 'expired';
    case 'succeed':
    case 'late': {
      const captured: PaymentEvent = {
        type: 'captured',
        // When the gateway took the money, where it says (never later than now): what "on time" means.
        at: fact.paidAt && fact.paidAt.getTime() < now.getTime() ? fact.paidAt : now,
        amountMinor: p.amountMinor,
        paymentRef: fact.paymentRef ?? null,
      };
      p = await repo.markSucceeded(p.id, mustTransition(p, captured), now);
      await tellPatient(deps, tx, p, 'payment_received', p.amountMinor, `payment:${p.id}:received`);
      if (d.action === 'succeed') {
        // The payable answers only "fulfilled" or "refund"; the refund itself is ours (one key).
        if ((await handlers.onSucceeded(tx, toHandlerView(p))) !== 'refund') return 'succeeded';
        await refundLate(deps, tx, p, 'refund', now);
        return 'succeeded';
      }
      return settleLate(deps, tx, p, handlers, now);
    }
  }
}

/**
 * Money captured twice for one order has one outcome: the extra gateway payment is recorded as its
 * own paid payment row (same payable, no order: the order stays the first payment's) and refunded in
 * full at once, with a key per gateway payment, so a redelivery, the other event for it or the
 * second tab's callback records and refunds nothing more. The payable is never called.
 */
async function refundSecondCapture(
  deps: Deps,
  tx: Tx,
  p: PaymentRow,
  fact: PaymentFact,
  now: Date,
): Promise<FactOutcome> {
  const paymentRef = fact.paymentRef!;
  const key = secondCaptureKey(p.provider, paymentRef);
  const amountMinor = fact.amountMinor ?? p.amountMinor;
  // Paid on arrival: the state a new payment reaches on capture, as the transition function says.
  const paid = mustTransition(
    { id: key, ...NEW_PAYMENT },
    { type: 'captured', at: now, amountMinor, paymentRef },
  );
  const extra = await paymentsRepository(tx.db).insertSecondCapture(
    {
      patientId: p.patientId,
      payableKind: p.payableKind,
      payableId: p.payableId,
      provider: p.provider,
      amountMinor,
      currency: (fact.currency ?? p.currency).toUpperCase(),
      description: `Second payment captured on order ${p.orderId ?? p.id}`.slice(0, 200),
      idempotencyKey: key,
      expiresAt: p.expiresAt,
      gatewayStatus: 'paid',
      gatewayAmountMinor: amountMinor,
      gatewayCheckedAt: now,
      createdAt: now,
      updatedAt: now,
    },
    paid,
  );
  if (!extra) return 'second_capture_known';
  deps.log.warn(
    { paymentId: p.id, secondCaptureId: extra.id },
    'a second gateway payment was captured for one order; refunding it in full',
  );
  const res = await reserveRefund(
    tx,
    extra,
    {
      reason: 'A second payment was captured for an order that was already paid.',
      idempotencyKey: `${key}:refund`,
      source: 'duplicate',
    },
    now,
  );
  if (!res.ok) throw new Error(`second capture refund refused: ${res.code}`);
  return 'second_capture';
}

/** Late money has exactly one outcome (money.md 10): fulfilled, or refunded in full with its key. */
async function settleLate(
  deps: Deps,
  tx: Tx,
  p: PaymentRow,
  handlers: PayableHandlers,
  now: Date,
): Promise<FactOutcome> {
  const outcome = await handlers.onLate(tx, toHandlerView(p));
  await refundLate(deps, tx, p, outcome, now);
  return outcome === 'fulfilled' ? 'late_fulfilled' : 'late_refund';
}

/**
 * Records what became of money the payable did not wait for and, for 'refund', reserves the full
 * refund: the only place a payable's answer turns into a refund (key `payment:<id>:late-refund`).
 */
async function refundLate(
  deps: Deps,
  tx: Tx,
  p: PaymentRow,
  outcome: 'fulfilled' | 'refund',
  now: Date,
): Promise<void> {
  const repo = paymentsRepository(tx.db);
  const current = await repo.setLateOutcome(p.id, outcome);
  tx.afterCommit(() => deps.counters.lateMoney(p.provider, outcome));
  if (outcome === 'fulfilled') return;
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
  if (!res.ok && res.code !== 'PAYMENT_NOT_REFUNDABLE') throw new Error(`late refund refused: ${res.code}`);
}
