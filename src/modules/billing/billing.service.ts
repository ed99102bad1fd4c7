import { createLedger } from './billing.ledger.js';
import type { BillingDeps } from './billing.ports.js';
import { makePrepaid } from './billing.prepaid.js';
import { type LedgerMismatch, paidPayablesMissing } from './billing.reconcile.js';
import { makeRefundsToLedger } from './billing.refunds.js';
import { totalsByCurrency } from './billing.rules.js';
import { makeSubscriptions } from './billing.subscriptions.js';
import { makeWallets } from './billing.wallet.js';

/** Billing's use cases: the ledger, subscriptions and credits, prepaid earnings, wallets and payouts. */
export function createBillingService(deps: BillingDeps) {
  const ledger = createLedger();
  const wallets = makeWallets(deps, ledger);
  const subscriptions = makeSubscriptions(deps, ledger, wallets);
  const prepaid = makePrepaid(deps, ledger, wallets);
  const refunds = makeRefundsToLedger(deps, ledger, prepaid);

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
   * The ledger side of reconciliation: paid subscriptions and paid appointments/consultations whose
   * money never reached the ledger, doctor earnings posted without a session or payable behind them,
   * and an unbalanced ledger.
   */
  async function reconciliation() {
    const mismatches: LedgerMismatch[] = [];
    const unpaid = await deps.pool.query<{ id: string }>(
      `select s.id from subscriptions s where s.status in ('ACTIVE', 'EXPIRED') and s.payment_id is not null
         and not exists (select 1 from ledger_transfers t where t.idempotency_key = 'payment:' || s.payment_id || ':received')`,
    );
    for (const r of unpaid.rows) mismatches.push({ code: 'PAYMENT_NOT_IN_LEDGER', subscriptionId: r.id });
    mismatches.push(...(await paidPayablesMissing(deps)));
    const orphans = await deps.pool.query<{ id: string }>(
      `select t.id from ledger_transfers t join ledger_accounts a on a.id = t.credit_account_id
       where a.kind = 'doctor_wallet' and t.flag in ('posted', 'pending') and t.session_id is null and t.payable_id is null`,
    );
    for (const o of orphans.rows) mismatches.push({ code: 'EARNING_WITHOUT_SESSION', transferId: o.id });
    for (const t of (await trialBalance()).totals)
      if (t.posted !== 0 || t.pending !== 0)
        mismatches.push({ code: 'LEDGER_UNBALANCED', currency: t.currency });
    return { balanced: !mismatches.some((m) => m.code === 'LEDGER_UNBALANCED'), mismatches };
  }

  return {
    ledger,
    trialBalance,
    reconciliation,
    /** For payments' registerPayable('subscription', ...). */
    subscriptionHandlers: subscriptions.handlers,
    /** For payments' onRefunded: every processed refund reaches the ledger once. */
    onRefunded: refunds.onRefunded,
    purchaseSubscription: subscriptions.purchase,
    currentSubscription: subscriptions.current,
    creditsAvailable: subscriptions.creditsAvailable,
    chargeBlock: subscriptions.chargeBlock,
    chargeBlocks: subscriptions.chargeBlocks,
    lapseSubscriptions: subscriptions.lapseDue,
    grantDemoSubscription: subscriptions.grantDemo,
    prepaidPaid: prepaid.onPaid,
    fundPrepaid: prepaid.fund,
    postPrepaid: prepaid.post,
    cancelPrepaid: prepaid.cancel,
    applyNoShow: prepaid.noShow,
    voidExpiredEarnings: prepaid.voidExpired,
    wallet: wallets.view,
    recordPayout: wallets.recordPayout,
  };
}

export type BillingService = ReturnType<typeof createBillingService>;
