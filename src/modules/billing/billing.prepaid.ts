import type { Tx } from '../../platform/db/uow.js';
import type { Ledger } from './billing.ledger.js';
import type { BillingDeps } from './billing.ports.js';
import { splitFee } from './billing.rules.js';
import type { Wallets } from './billing.wallet.js';

export type PrepaidPayable = {
  payableKind: 'appointment' | 'consultation';
  payableId: string;
  patientId: string;
};
const EARNING_DAYS = 90;

/**
 * Prepaid funding (a paid appointment or consultation). The payment waits in the patient's escrow
 * for that payable with a pending transfer to the doctor (share) and the platform (fee); a session
 * event posts it, a cancellation or refund voids it and returns the money from escrow.
 */
export function makePrepaid(deps: BillingDeps, ledger: Ledger, wallets: Wallets) {
  const keys = (p: Pick<PrepaidPayable, 'payableKind' | 'payableId'>) => ({
    doctor: `${p.payableKind}:${p.payableId}:earning`,
    fee: `${p.payableKind}:${p.payableId}:fee`,
  });
  const escrowOf = (p: PrepaidPayable, currency: string) => ({
    kind: 'patient_escrow' as const,
    ownerId: p.patientId,
    ref: `${p.payableKind}:${p.payableId}`,
    currency,
  });

  /** In the payment's transaction, when the payable accepted the money. Idempotent per payment. */
  async function onPaid(
    tx: Tx,
    p: PrepaidPayable & { paymentId: string; clinicianId: string; amountMinor: number; currency: string },
  ) {
    const now = deps.clock.now();
    const escrow = escrowOf(p, p.currency);
    const common = { payableKind: p.payableKind, payableId: p.payableId, paymentId: p.paymentId };
    await ledger.transfer(
      tx,
      {
        ...common,
        debit: { kind: 'gateway_clearing', currency: p.currency },
        credit: escrow,
        amount: p.amountMinor,
        key: `payment:${p.paymentId}:received`,
        cause: `${p.payableKind}_payment`,
      },
      now,
    );
    const split = splitFee(p.amountMinor, deps.config.billing.platformFeePercent);
    const expiresAt = new Date(now.getTime() + EARNING_DAYS * 86_400_000);
    const k = keys(p);
    if (split.doctor > 0)
      await ledger.transfer(
        tx,
        {
          ...common,
          debit: escrow,
          credit: wallets.walletOf(p.clinicianId, p.currency),
          amount: split.doctor,
          key: k.doctor,
          cause: `${p.payableKind}_earning`,
          flag: 'pending',
          expiresAt,
        },
        now,
      );
    if (split.platform > 0)
      await ledger.transfer(
        tx,
        {
          ...common,
          debit: escrow,
          credit: { kind: 'platform_revenue', currency: p.currency },
          amount: split.platform,
          key: k.fee,
          cause: `${p.payableKind}_fee`,
          flag: 'pending',
          expiresAt,
        },
        now,
      );
  }

  /**
   * Money paid before a doctor was known (an on-demand consultation): put in escrow with its pending
   * earning when the first session on it starts. Once per payment; later sessions find it there.
   */
  async function fund(
    tx: Tx,
    p: PrepaidPayable & { paymentId: string; clinicianId: string; amountMinor: number; currency: string },
  ) {
    if (await ledger.findByKey(tx, `payment:${p.paymentId}:received`)) return false;
    await onPaid(tx, p);
    return true;
  }

  /** A session event (ended after activation, or an in-person appointment completed) posts the earning once. */
  async function post(tx: Tx, p: Pick<PrepaidPayable, 'payableKind' | 'payableId'>) {
    const now = deps.clock.now();
    const k = keys(p);
    const doctor = await ledger.resolve(tx, k.doctor, 'post_pending', now);
    await ledger.resolve(tx, k.fee, 'post_pending', now);
    return doctor !== null;
  }

  /**
   * Cancellation or refund: voids what is pending, takes back what was posted (wallet first, then owed),
   * and moves the escrow to refunds. Idempotent per payable.
   */
  async function cancel(tx: Tx, p: PrepaidPayable) {
    const now = deps.clock.now();
    const k = keys(p);
    let currency: string | null = null;
    for (const key of [k.doctor, k.fee]) {
      const pending = await ledger.findByKey(tx, key);
      if (!pending) continue;
      currency = pending.currency;
      if (await ledger.resolve(tx, key, 'void_pending', now)) continue;
      if ((await ledger.resolutionOf(tx, key)) !== 'post_pending') continue;
      const back = { to: escrowOf(p, pending.currency), amount: pending.amount, key: `${key}:reversed` };
      // Reversed once: a second cancellation finds the reversal and takes nothing back again.
      // One query at a time on the transaction's client.
      let done = false;
      for (const suffix of ['', ':wallet', ':owed'])
        done ||= (await ledger.findByKey(tx, `${back.key}${suffix}`)) !== null;
      if (done) continue;
      if (key === k.doctor) {
        const clinicianId = (
          await tx.query<{ ownerId: string }>(
            'select owner_id as "ownerId" from ledger_accounts where id = $1',
            [pending.creditAccountId],
          )
        ).rows[0]!.ownerId;
        await wallets.clawBack(tx, { ...back, clinicianId, cause: 'earning_reversed' }, now);
      } else
        await ledger.transfer(
          tx,
          {
            debit: { kind: 'platform_revenue', currency: pending.currency },
            credit: back.to,
            amount: back.amount,
            key: back.key,
            cause: 'fee_reversed',
          },
          now,
        );
    }
    if (!currency) return false;
    const escrow = escrowOf(p, currency);
    const left = (await ledger.balance(tx, escrow, true)).available;
    if (left > 0)
      await ledger.transfer(
        tx,
        {
          debit: escrow,
          credit: { kind: 'refunds', currency },
          amount: left,
          key: `${p.payableKind}:${p.payableId}:refund`,
          cause: `${p.payableKind}_refund`,
          payableKind: p.payableKind,
          payableId: p.payableId,
        },
        now,
      );
    return true;
  }

  /**
   * A no-show (money.md, issue 13: the configured policy). The patient absent: NO_SHOW_POLICY
   * `keep_fee` posts the earning (the doctor kept the slot) and nothing is refunded; `refund` voids
   * it and returns the escrow. The doctor absent: always voided and refunded. 'refund' tells the
   * caller to refund the payment at the gateway (payments alone does that).
   */
  async function noShow(
    tx: Tx,
    p: PrepaidPayable,
    absent: 'patient' | 'clinician',
  ): Promise<'kept' | 'refund'> {
    if (absent === 'patient' && deps.config.billing.noShowPolicy === 'keep_fee') {
      await post(tx, p);
      return 'kept';
    }
    await cancel(tx, p);
    return 'refund';
  }

  /** Pending earnings past their expiry are voided (never posted); the money stays in escrow for a refund. */
  async function voidExpired(limit = 200) {
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const due = await tx.query<{ key: string }>(
        `select p.idempotency_key as key from ledger_transfers p
         where p.flag = 'pending' and p.expires_at <= $1
           and not exists (select 1 from ledger_transfers r where r.pending_id = p.id)
         limit $2`,
        [now, limit],
      );
      for (const r of due.rows) await ledger.resolve(tx, r.key, 'void_pending', now);
      return due.rows.length;
    });
  }

  return { onPaid, fund, post, cancel, noShow, voidExpired };
}

export type Prepaid = ReturnType<typeof makePrepaid>;
