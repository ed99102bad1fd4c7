import { drizzle } from 'drizzle-orm/node-postgres';
import type { Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import { type Gateway, GatewayRejected, type RefundFact } from './gateways/types.js';
import { reserveRefund, tellPatient } from './payments.apply.js';
import { type PaymentsDeps, type RefundListener, toHandlerView } from './payments.ports.js';
import { type PaymentRow, paymentsRepository, type RefundRow } from './payments.repository.js';
import { mustTransition, refundTransition } from './payments.rules.js';

export type RefundRequest = {
  paymentId: string;
  amount?: number;
  reason: string;
  idempotencyKey: string;
  source?: 'admin' | 'payable';
};
export type RefundReply = { refundId: string; amount: number; status: string };

/** What a gateway's refund report did; the webhook inbox records it and counts it (a closed set). */
export type RefundFactOutcome =
  | 'refund_processed'
  | 'refund_failed'
  | 'refund_recorded'
  | 'refund_over_ceiling'
  | 'unknown_refund'
  | 'no_change';

const REFUND_ERRORS = {
  PAYMENT_NOT_REFUNDABLE: () =>
    Errors.conflict('PAYMENT_NOT_REFUNDABLE', 'This payment has nothing left to refund.'),
  REFUND_EXCEEDS_PAYMENT: () =>
    Errors.conflict('REFUND_EXCEEDS_PAYMENT', 'The refund is larger than what is left of the payment.'),
  REFUND_AMOUNT_INVALID: () =>
    Errors.badRequest(
      'REFUND_AMOUNT_INVALID',
      'The refund amount must be a positive whole number of minor units.',
    ),
};

export function makeRefunds(deps: PaymentsDeps, listeners: readonly RefundListener[] = []) {
  /**
   * A refund row plus a job, in the caller's transaction. The same key returns the original; the
   * same key for other content is a conflict; the ceiling is checked under the payment's row lock.
   */
  async function requestRefund(tx: Tx, req: RefundRequest): Promise<RefundReply> {
    const now = deps.clock.now();
    const repo = paymentsRepository(tx.db);
    const p = await repo.findForUpdate(req.paymentId);
    if (!p) throw Errors.notFound('Payment', req.paymentId);
    const existing = await repo.findRefundByKey(req.idempotencyKey);
    if (existing) {
      if (existing.paymentId !== p.id || (req.amount !== undefined && req.amount !== existing.amountMinor))
        throw Errors.conflict(
          'IDEMPOTENCY_KEY_REUSED',
          'This idempotency key was used for a different refund.',
        );
      return { refundId: existing.id, amount: existing.amountMinor, status: existing.status };
    }
    const res = await reserveRefund(tx, p, { ...req, source: req.source ?? 'payable' }, now);
    if (!res.ok) throw REFUND_ERRORS[res.code]();
    return { refundId: res.refund.id, amount: res.refund.amountMinor, status: res.refund.status };
  }

  /**
   * Refunds whatever is left of a captured payment, if anything: null when earlier refunds (an
   * admin's, say) already returned it all, so a payable can still give up what it sold.
   */
  async function refundRemainder(
    tx: Tx,
    req: Omit<RefundRequest, 'amount' | 'source'>,
  ): Promise<RefundReply | null> {
    const p = await paymentsRepository(tx.db).findForUpdate(req.paymentId);
    if (!p) throw Errors.notFound('Payment', req.paymentId);
    const nothingLeft = p.capturedMinor > 0 && p.capturedMinor - p.refundedMinor - p.refundPendingMinor <= 0;
    if (nothingLeft && !(await paymentsRepository(tx.db).findRefundByKey(req.idempotencyKey))) return null;
    return requestRefund(tx, req);
  }

  async function markProcessed(
    tx: Tx,
    p: PaymentRow,
    r: RefundRow,
    gatewayRefundId: string | null,
    now: Date,
  ) {
    const repo = paymentsRepository(tx.db);
    const settled = refundTransition(r, 'processed');
    if (!settled) return false;
    await repo.settleRefund(r.id, settled, {
      processedAt: now,
      gatewayRefundId: gatewayRefundId ?? r.gatewayRefundId,
    });
    const updated = await repo.markRefundProcessed(
      p.id,
      mustTransition(p, { type: 'refund_processed', amountMinor: r.amountMinor }),
      p.refundPendingMinor - r.amountMinor,
      now,
    );
    await tellPatient(deps, tx, updated, 'refund_processed', r.amountMinor, `refund:${r.id}:processed`);
    const view = {
      ...toHandlerView(updated),
      capturedMinor: updated.capturedMinor,
      refundedMinor: updated.refundedMinor,
    };
    for (const tell of listeners)
      await tell(tx, view, { id: r.id, amountMinor: r.amountMinor, source: r.source });
    // Each refund leaves PENDING once, whoever reports it (job, webhook, reconciler): counted once.
    tx.afterCommit(() => deps.counters.refund(p.provider, 'processed'));
    return true;
  }

  async function markFailed(tx: Tx, p: PaymentRow, r: RefundRow, reason: string, now: Date) {
    const repo = paymentsRepository(tx.db);
    const settled = refundTransition(r, 'failed');
    if (!settled) return false;
    await repo.settleRefund(r.id, settled, { failureReason: reason.slice(0, 500), processedAt: now });
    await repo.releaseRefund(p.id, p.refundPendingMinor - r.amountMinor, now);
    deps.log.warn({ refundId: r.id, paymentId: p.id }, 'refund refused by the gateway');
    tx.afterCommit(() => deps.counters.refund(p.provider, 'failed'));
    return true;
  }

  /** Job: ask the gateway for the money back (outside any transaction), then record the answer. */
  async function processRefund(refundId: string) {
    const read = paymentsRepository(drizzle(deps.pool, { casing: 'snake_case' }));
    const r = await read.findRefundById(refundId);
    if (r?.status !== 'PENDING' || r.gatewayRefundId) return;
    const p = (await read.findById(r.paymentId))!;
    let result: Awaited<ReturnType<Gateway['refund']>> | { rejected: string };
    try {
      result = await deps.gateways.get(p.provider).refund({
        refundId: r.id,
        orderId: p.orderId,
        paymentRef: p.gatewayPaymentRef,
        amountMinor: r.amountMinor,
        currency: r.currency,
        idempotencyKey: r.idempotencyKey,
      });
    } catch (err) {
      if (!(err instanceof GatewayRejected)) throw err; // transient: the job retries with the same key
      result = { rejected: err.message };
    }
    const now = deps.clock.now();
    await deps.uow(async (tx) => {
      const repo = paymentsRepository(tx.db);
      const locked = (await repo.findForUpdate(p.id))!;
      const refund = (await repo.findRefundForUpdate(r.id))!;
      if ('rejected' in result) return void (await markFailed(tx, locked, refund, result.rejected, now));
      if (result.status === 'processed')
        return void (await markProcessed(tx, locked, refund, result.gatewayRefundId, now));
      // Pending at the gateway: its webhook (or the reconciler) confirms it later.
      await repo.setGatewayRefundId(refund.id, result.gatewayRefundId);
      // Counted once per refund: not again for a second copy of the job, nor once it has settled.
      if (refund.status === 'PENDING' && !refund.gatewayRefundId)
        tx.afterCommit(() => deps.counters.refund(p.provider, 'pending'));
    });
  }

  /** A refund the gateway reports: ours (confirm or fail it) or one made elsewhere (record it). */
  async function applyRefundFact(
    tx: Tx,
    p: PaymentRow,
    fact: RefundFact,
    now: Date,
  ): Promise<RefundFactOutcome> {
    const repo = paymentsRepository(tx.db);
    const all = await repo.listRefunds(p.id);
    const ours =
      all.find((r) => fact.refundId && r.id === fact.refundId) ??
      all.find((r) => fact.gatewayRefundId && r.gatewayRefundId === fact.gatewayRefundId);
    if (ours) {
      if (fact.status === 'failed')
        return (await markFailed(tx, p, ours, 'gateway reported failure', now))
          ? 'refund_failed'
          : 'no_change';
      return (await markProcessed(tx, p, ours, fact.gatewayRefundId ?? null, now))
        ? 'refund_processed'
        : 'no_change';
    }
    if (fact.status === 'failed') return 'unknown_refund';
    // Stripe's charge.refunded is a running total: confirm our pending ones, oldest first.
    let unexplained =
      fact.totalRefundedMinor !== undefined ? fact.totalRefundedMinor - p.refundedMinor : fact.amountMinor;
    let current = p;
    for (const r of all.filter((x) => x.status === 'PENDING')) {
      if (fact.totalRefundedMinor === undefined || r.amountMinor > unexplained) break;
      await markProcessed(tx, current, r, null, now);
      unexplained -= r.amountMinor;
      current = (await repo.findForUpdate(p.id))!;
    }
    if (unexplained <= 0) return 'refund_processed';
    return recordExternalRefund(tx, current, fact, unexplained, now);
  }

  async function recordExternalRefund(
    tx: Tx,
    p: PaymentRow,
    fact: RefundFact,
    amount: number,
    now: Date,
  ): Promise<RefundFactOutcome> {
    const repo = paymentsRepository(tx.db);
    const room = p.capturedMinor - p.refundedMinor - p.refundPendingMinor;
    if (amount > room) {
      deps.log.error({ paymentId: p.id }, 'gateway reports refunds beyond the captured amount');
      return 'refund_over_ceiling';
    }
    const r = (await repo.insertRefund({
      paymentId: p.id,
      amountMinor: amount,
      currency: p.currency,
      source: 'gateway',
      reason: 'Refund made at the gateway',
      idempotencyKey: `gateway:${p.provider}:${fact.gatewayRefundId ?? `${p.id}:${p.refundedMinor + amount}`}`,
      gatewayRefundId: fact.gatewayRefundId ?? null,
      createdAt: now,
    }))!;
    if (!r) return 'no_change';
    await repo.reserveRefund(p.id, p.refundPendingMinor + amount, now);
    await markProcessed(tx, { ...p, refundPendingMinor: p.refundPendingMinor + amount }, r, null, now);
    return 'refund_recorded';
  }

  return { requestRefund, refundRemainder, markProcessed, markFailed, processRefund, applyRefundFact };
}
