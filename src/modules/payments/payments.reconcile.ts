import { drizzle } from 'drizzle-orm/node-postgres';
import type { GatewayStatus, PaymentFact } from './gateways/types.js';
import { applyPaymentFact, type PayableRegistry } from './payments.apply.js';
import type { PaymentsDeps } from './payments.ports.js';
import type { makeRefunds } from './payments.refunds.js';
import { type PaymentRow, paymentsRepository } from './payments.repository.js';
import { findMismatches, isSecondCaptureRecord } from './payments.rules.js';

type ApplyDeps = PaymentsDeps & { payables: PayableRegistry };

/** The gateway did not let us settle an open payment past its expiry; try again later. */
export class GatewayUnsettled extends Error {
  override name = 'GatewayUnsettled';
}

const LATE_AUTHORISATION_WINDOW_MS = 3 * 24 * 3600_000;
const BATCH = 100;
const REFUND_RECHECK_MS = 60 * 60_000;

/** What the gateway's current state means for a payment, or nothing to apply yet. */
function factFrom(p: PaymentRow, status: GatewayStatus, closed: boolean, now: Date): PaymentFact | null {
  const ids = {
    orderId: p.orderId ?? undefined,
    paymentRef: status.paymentRef,
    amountMinor: status.amountMinor,
    currency: status.currency,
  };
  if (status.state === 'paid')
    return { outcome: 'succeeded', ...ids, ...(status.paidAt ? { paidAt: status.paidAt } : {}) };
  // Held but not captured (Razorpay, also days after `failed`): the capture job makes it money.
  if (status.state === 'authorized') return { outcome: 'authorized', ...ids };
  if (p.status !== 'CREATED') return null;
  if (status.state === 'failed') return { outcome: 'failed', ...ids };
  if (status.state === 'expired') return { outcome: 'expired', ...ids };
  // Open but past the hold and closed (or not closable): the hold is over; later money is late.
  if (closed && now.getTime() >= p.expiresAt.getTime()) return { outcome: 'expired', ...ids };
  return null;
}

/**
 * Repairs missed webhooks: asks the gateway (network, outside any transaction) and applies what it
 * learns through the same `applyPaymentFact` as webhooks, under the payment's row lock.
 */
export function makeReconciler(
  deps: PaymentsDeps,
  applyDeps: ApplyDeps,
  payables: PayableRegistry,
  refunds: Pick<ReturnType<typeof makeRefunds>, 'markProcessed' | 'markFailed'>,
) {
  const readRepo = paymentsRepository(drizzle(deps.pool, { casing: 'snake_case' }));
  const read = () => readRepo;

  async function settle(paymentId: string): Promise<string> {
    const now = deps.clock.now();
    const p = await read().findById(paymentId);
    if (!p || (p.status !== 'CREATED' && p.status !== 'FAILED')) return 'settled';
    if (p.status === 'CREATED' && now.getTime() < p.expiresAt.getTime()) return 'not_due';
    let closed = true;
    let status: GatewayStatus = { state: 'open' };
    if (p.orderId) {
      const gateway = deps.gateways.get(p.provider);
      if (p.status === 'CREATED') {
        const res = await gateway.expire({ orderId: p.orderId }).catch((err) => {
          deps.log.warn({ err, paymentId }, 'could not expire the checkout at the gateway');
          return 'failed' as const;
        });
        closed = res !== 'failed';
      }
      status = await gateway.fetchStatus({ orderId: p.orderId, paymentRef: p.gatewayPaymentRef });
    }
    const fact = factFrom(p, status, closed, now);
    // Past the expiry, open, and not closed at the gateway: it may still be paid. The hold keeps
    // its slot; the job retries (bounded, then the reconciler's cron keeps asking).
    if (!fact && p.status === 'CREATED' && p.orderId && !closed)
      throw new GatewayUnsettled(`payment ${p.id}: the gateway could not close the checkout`);
    return deps.uow(async (tx) => {
      const repo = paymentsRepository(tx.db);
      const locked = (await repo.findForUpdate(p.id))!;
      if (!fact) {
        await repo.recordGatewayView(p.id, { gatewayStatus: status.state, gatewayCheckedAt: now });
        return 'no_change';
      }
      return applyPaymentFact(applyDeps, tx, locked, fact, now);
    });
  }

  /** A refund the gateway left pending and whose webhook never came: ask where it stands. */
  async function settleRefund(r: { id: string; paymentId: string; gatewayRefundId: string | null }) {
    const p = (await read().findById(r.paymentId))!;
    const gateway = deps.gateways.get(p.provider);
    if (!gateway.fetchRefund || !r.gatewayRefundId) return false;
    const state = await gateway.fetchRefund({
      paymentRef: p.gatewayPaymentRef,
      gatewayRefundId: r.gatewayRefundId,
    });
    if (state === 'pending') return false;
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const repo = paymentsRepository(tx.db);
      const locked = (await repo.findForUpdate(p.id))!;
      const refund = (await repo.findRefundForUpdate(r.id))!;
      return state === 'processed'
        ? refunds.markProcessed(tx, locked, refund, r.gatewayRefundId, now)
        : refunds.markFailed(tx, locked, refund, 'gateway reported failure', now);
    });
  }

  /**
   * The periodic job: CREATED past expiry, Razorpay FAILED ones still within late authorisation,
   * and refunds left pending at the gateway for over an hour.
   */
  async function reconcileDue(): Promise<{ checked: number; changed: number }> {
    const now = deps.clock.now();
    const due = await read().listToReconcile(
      now,
      new Date(now.getTime() - LATE_AUTHORISATION_WINDOW_MS),
      BATCH,
    );
    const pendingRefunds = await read().listPendingRefundsBefore(
      new Date(now.getTime() - REFUND_RECHECK_MS),
      BATCH,
    );
    let changed = 0;
    for (const r of pendingRefunds) {
      try {
        if (await settleRefund(r)) changed++;
      } catch (err) {
        deps.log.warn({ err, refundId: r.id }, 'refund re-check failed; will retry next run');
      }
    }
    for (const { id } of due) {
      try {
        const outcome = await settle(id);
        if (!['no_change', 'settled', 'not_due'].includes(outcome) && !outcome.startsWith('stale_'))
          changed++;
      } catch (err) {
        deps.log.warn({ err, paymentId: id }, 'reconciliation of a payment failed; will retry next run');
      }
    }
    return { checked: due.length + pendingRefunds.length, changed };
  }

  /** Payments (last 30 days, newest first) whose gateway, payment and payable states disagree. */
  async function report(opts: { limit?: number } = {}) {
    const now = deps.clock.now();
    const rows = await read().listForReconciliationReport(
      new Date(now.getTime() - 30 * 86_400_000),
      opts.limit ?? 500,
    );
    const out = [];
    for (const p of rows) {
      const describe = payables.get(p.payableKind)?.describe;
      const payable = describe ? await describe(p.payableId).catch(() => null) : undefined;
      const mismatches = findMismatches({ ...p, secondCapture: isSecondCaptureRecord(p) }, payable, now);
      if (mismatches.length === 0) continue;
      out.push({
        paymentId: p.id,
        payableKind: p.payableKind,
        payableId: p.payableId,
        provider: p.provider,
        orderId: p.orderId,
        status: p.status,
        gatewayStatus: p.gatewayStatus,
        payableState: payable?.state ?? null,
        amount: { amount: p.amountMinor, currency: p.currency },
        gatewayAmount:
          p.gatewayAmountMinor === null ? null : { amount: p.gatewayAmountMinor, currency: p.currency },
        refunded: { amount: p.refundedMinor, currency: p.currency },
        mismatches,
      });
    }
    return { generatedAt: now, mismatches: out };
  }

  return { settle, reconcileDue, report };
}
