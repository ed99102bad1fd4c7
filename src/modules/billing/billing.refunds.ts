import type { Tx } from '../../platform/db/uow.js';
import type { Ledger } from './billing.ledger.js';
import type { BillingDeps, BillingRefundListener } from './billing.ports.js';
import type { Prepaid } from './billing.prepaid.js';
import { unitCurrency } from './billing.rules.js';
import { creditsAccount } from './billing.subscriptions.js';

type RefundedPayment = Parameters<BillingRefundListener>[1];
type Refund = Parameters<BillingRefundListener>[2];

/**
 * Refunds processed by payments (an admin's, a payable's, one made at the gateway) reach the ledger
 * here, once per refund (every key carries the refund id; payments tells each refund once).
 * Where the payment's money sits decides: a prepaid escrow (appointment, consultation) or a
 * subscription's deferred revenue. A full refund undoes the earning (voided, or taken back after it
 * was posted); a partial one leaves the doctor's earning alone and is the platform's concession.
 */
export function makeRefundsToLedger(
  deps: Pick<BillingDeps, 'clock' | 'catalog'>,
  ledger: Ledger,
  prepaid: Prepaid,
) {
  async function accountOf(tx: Tx, id: string) {
    return (
      await tx.query<{ kind: string; ownerId: string | null; ref: string; currency: string }>(
        `select kind, owner_id as "ownerId", ref, currency from ledger_accounts where id = $1`,
        [id],
      )
    ).rows[0]!;
  }

  const platform = (currency: string) => ({ kind: 'platform_revenue' as const, currency });
  const refunds = (currency: string) => ({ kind: 'refunds' as const, currency });

  async function concession(tx: Tx, p: RefundedPayment, r: Refund, amount: number, now: Date) {
    await ledger.transfer(
      tx,
      {
        debit: platform(p.currency),
        credit: refunds(p.currency),
        amount,
        key: `refund:${r.id}:concession`,
        cause: 'refund_concession',
        paymentId: p.id,
        payableKind: p.payableKind,
        payableId: p.payableId,
      },
      now,
    );
  }

  /** The whole payment went back: the escrow pays it all, so earlier concessions are returned to the platform. */
  async function reverseConcessions(tx: Tx, p: RefundedPayment, now: Date) {
    const earlier = await tx.query<{ key: string; amount: number }>(
      `select idempotency_key as key, amount::float8 as amount from ledger_transfers
       where payment_id = $1 and cause = 'refund_concession'`,
      [p.id],
    );
    for (const c of earlier.rows)
      await ledger.transfer(
        tx,
        {
          debit: refunds(p.currency),
          credit: platform(p.currency),
          amount: c.amount,
          key: `${c.key}:reversed`,
          cause: 'refund_concession_reversed',
          paymentId: p.id,
        },
        now,
      );
  }

  async function prepaidRefund(
    tx: Tx,
    escrow: { ownerId: string | null; ref: string },
    p: RefundedPayment,
    r: Refund,
    now: Date,
  ) {
    if (p.refundedMinor < p.capturedMinor) return concession(tx, p, r, r.amountMinor, now);
    const [payableKind, payableId] = escrow.ref.split(':') as ['appointment' | 'consultation', string];
    await prepaid.cancel(tx, { payableKind, payableId, patientId: escrow.ownerId! });
    await reverseConcessions(tx, p, now);
  }

  /** Deferred revenue pays first (what credits have not used yet), the platform the rest; in full, credits end. */
  async function subscriptionRefund(
    tx: Tx,
    subscriptionId: string,
    p: RefundedPayment,
    r: Refund,
    now: Date,
  ) {
    const deferred = { kind: 'deferred_revenue' as const, ref: subscriptionId, currency: p.currency };
    const fromDeferred = Math.min(r.amountMinor, (await ledger.balance(tx, deferred, true)).available);
    const common = { subscriptionId, paymentId: p.id, payableKind: p.payableKind, payableId: p.payableId };
    if (fromDeferred > 0)
      await ledger.transfer(
        tx,
        {
          ...common,
          debit: deferred,
          credit: refunds(p.currency),
          amount: fromDeferred,
          key: `refund:${r.id}:deferred`,
          cause: 'subscription_refund',
        },
        now,
      );
    if (r.amountMinor > fromDeferred) await concession(tx, p, r, r.amountMinor - fromDeferred, now);
    if (p.refundedMinor < p.capturedMinor) return;
    const sub = (
      await tx.query<{ patientId: string; planCode: string; status: string }>(
        `select patient_id as "patientId", plan_code as "planCode", status from subscriptions where id = $1 for update`,
        [subscriptionId],
      )
    ).rows[0];
    if (sub?.status !== 'ACTIVE' && sub?.status !== 'EXPIRED') return;
    await tx.query(`update subscriptions set status = 'REFUNDED', updated_at = $2 where id = $1`, [
      subscriptionId,
      now,
    ]);
    for (const unit of ['text', 'call'] as const) {
      const acct = creditsAccount(sub.patientId, subscriptionId, unit);
      const left = (await ledger.balance(tx, acct, true)).available;
      if (left > 0)
        await ledger.transfer(
          tx,
          {
            debit: acct,
            credit: { kind: 'credit_issuance', ref: 'revoked', currency: unitCurrency(unit) },
            amount: left,
            key: `subscription:${subscriptionId}:revoked:${unit}`,
            cause: 'credits_revoked',
            subscriptionId,
          },
          now,
        );
    }
    if (sub.status === 'ACTIVE')
      await deps.catalog.recordSubscription(tx, {
        patientId: sub.patientId,
        planCode: sub.planCode,
        status: 'expired',
        periodEnd: now,
      });
  }

  const onRefunded: BillingRefundListener = async (tx, payment, refund) => {
    const now = deps.clock.now();
    const received = await ledger.findByKey(tx, `payment:${payment.id}:received`);
    // Money that never reached the ledger (a consultation no session ran on yet) has nothing to undo.
    if (!received) return;
    const acct = await accountOf(tx, received.creditAccountId);
    if (acct.kind === 'patient_escrow') return prepaidRefund(tx, acct, payment, refund, now);
    if (acct.kind === 'deferred_revenue') return subscriptionRefund(tx, acct.ref, payment, refund, now);
    // 'refunds': money the payable refused on arrival was booked as refunded then.
  };

  return { onRefunded };
}
