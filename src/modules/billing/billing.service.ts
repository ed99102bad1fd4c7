import { createLedger } from './billing.ledger.js';
import type { BillingDeps } from './billing.ports.js';
import { makePrepaid } from './billing.prepaid.js';
import { totalsByCurrency } from './billing.rules.js';
import { makeSubscriptions } from './billing.subscriptions.js';
import { makeWallets } from './billing.wallet.js';

/** Billing's use cases: the ledger, subscriptions and credits, prepaid earnings, wallets and payouts. */
export function createBillingService(deps: BillingDeps) {
  const ledger = createLedger();
  const wallets = makeWallets(deps, ledger);
  const subscriptions = makeSubscriptions(deps, ledger, wallets);
  const prepaid = makePrepaid(deps, ledger, wallets);

  /** Per account kind and currency (or credit unit); the totals per currency are zero. */
  async function trialBalance() {
    const rows = (
      await deps.pool.query<{
        kind: string;
        currency: string;
        posted: number;
        pending: number;
        accounts: number;
      }>(
        `select kind, currency, count(*)::int as accounts,
           sum(posted_credits - posted_debits)::float8 as posted, sum(pending_credits - pending_debits)::float8 as pending
         from ledger_accounts group by kind, currency order by currency, kind`,
      )
    ).rows;
    const totals = totalsByCurrency(rows);
    return { rows, totals, balanced: totals.every((t) => t.posted === 0 && t.pending === 0) };
  }

  /**
   * The ledger side of reconciliation: succeeded payments of ledger-funded payables without their
   * received transfer, and posted doctor earnings without a session or completion behind them.
   */
  async function reconciliation(payments: Array<{ id: string; payableKind: string; status: string }>) {
    const paid = payments.filter(
      (p) =>
        ['subscription', 'appointment'].includes(p.payableKind) &&
        p.status !== 'CREATED' &&
        p.status !== 'FAILED' &&
        p.status !== 'EXPIRED',
    );
    const mismatches: Array<{ code: string; paymentId?: string; transferId?: string }> = [];
    if (paid.length) {
      const have = new Set(
        (
          await deps.pool.query<{ paymentId: string }>(
            `select payment_id as "paymentId" from ledger_transfers where payment_id = any($1::uuid[]) and (cause like '%_payment' or cause = 'subscription_refund')`,
            [paid.map((p) => p.id)],
          )
        ).rows.map((r) => r.paymentId),
      );
      for (const p of paid)
        if (!have.has(p.id)) mismatches.push({ code: 'PAYMENT_NOT_IN_LEDGER', paymentId: p.id });
    }
    const orphans = await deps.pool.query<{ id: string }>(
      `select t.id from ledger_transfers t join ledger_accounts a on a.id = t.credit_account_id
       where a.kind = 'doctor_wallet' and t.flag = 'posted' and t.session_id is null and t.cause <> 'recovery'`,
    );
    for (const o of orphans.rows) mismatches.push({ code: 'EARNING_WITHOUT_SESSION', transferId: o.id });
    return mismatches;
  }

  return {
    ledger,
    trialBalance,
    reconciliation,
    /** For payments' registerPayable('subscription', ...). */
    subscriptionHandlers: subscriptions.handlers,
    purchaseSubscription: subscriptions.purchase,
    currentSubscription: subscriptions.current,
    creditsAvailable: subscriptions.creditsAvailable,
    chargeBlock: subscriptions.chargeBlock,
    chargeBlocks: subscriptions.chargeBlocks,
    lapseSubscriptions: subscriptions.lapseDue,
    grantDemoSubscription: subscriptions.grantDemo,
    prepaidPaid: prepaid.onPaid,
    postPrepaid: prepaid.post,
    cancelPrepaid: prepaid.cancel,
    voidExpiredEarnings: prepaid.voidExpired,
    wallet: wallets.view,
    recordPayout: wallets.recordPayout,
  };
}

export type BillingService = ReturnType<typeof createBillingService>;
