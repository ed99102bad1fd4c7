import { randomUUID } from 'node:crypto';
import type { Tx } from '../../platform/db/uow.js';
import { AppError } from '../../platform/errors.js';
import { type Money, money } from '../../platform/money.js';
import { decodeCursor, exactInstantSql, toPage } from '../../platform/paging.js';
import type { AccountRef, Ledger } from './billing.ledger.js';
import type { BillingDeps } from './billing.ports.js';

const walletOf = (clinicianId: string, currency: string): AccountRef => ({
  kind: 'doctor_wallet',
  ownerId: clinicianId,
  currency,
});
const recoveryOf = (clinicianId: string, currency: string): AccountRef => ({
  kind: 'doctor_recovery',
  ownerId: clinicianId,
  currency,
});

/**
 * Doctor wallets. The wallet account never goes below zero (a CHECK), so a payout can never exceed
 * the posted balance. Money taken back after a payout that the wallet cannot cover is owed on the
 * doctor's recovery account; later earnings pay it back first. Admins see wallet + recovery, which
 * can be negative.
 */
export function makeWallets(deps: BillingDeps, ledger: Ledger) {
  const currency = deps.config.currency;

  /** A posted earning into the wallet; then whatever the doctor owes is recovered from it. */
  async function creditEarning(
    tx: Tx,
    e: {
      from: AccountRef;
      clinicianId: string;
      amount: number;
      key: string;
      cause: string;
      sessionId?: string | null;
    },
    now: Date,
  ) {
    const res = await ledger.transfer(
      tx,
      {
        debit: e.from,
        credit: walletOf(e.clinicianId, e.from.currency),
        amount: e.amount,
        key: e.key,
        cause: e.cause,
        sessionId: e.sessionId ?? null,
      },
      now,
    );
    if (res.created) await recover(tx, e.clinicianId, e.from.currency, e.key, now);
    return res;
  }

  async function recover(tx: Tx, clinicianId: string, cur: string, afterKey: string, now: Date) {
    const owed = -(await ledger.balance(tx, recoveryOf(clinicianId, cur))).posted;
    if (owed <= 0) return;
    const avail = (await ledger.balance(tx, walletOf(clinicianId, cur), true)).available;
    const amount = Math.min(owed, avail);
    if (amount > 0)
      await ledger.transfer(
        tx,
        {
          debit: walletOf(clinicianId, cur),
          credit: recoveryOf(clinicianId, cur),
          amount,
          key: `${afterKey}:recovery`,
          cause: 'recovery',
        },
        now,
      );
  }

  /** After a batch of earnings: doctors who owe anything pay it back from their wallets (rare; one read otherwise). */
  async function recoverMany(tx: Tx, clinicianIds: string[], cur: string, now: Date) {
    if (clinicianIds.length === 0) return;
    const owing = await tx.query<{ ownerId: string }>(
      `select owner_id as "ownerId" from ledger_accounts a where kind = 'doctor_recovery' and currency = $2
         and owner_id = any($1::uuid[]) and posted_credits < posted_debits`,
      [clinicianIds, cur],
    );
    // Worked out from the balances under lock, so each recovery is its own transfer.
    for (const o of owing.rows)
      await recover(tx, o.ownerId, cur, `recovery:${o.ownerId}:${randomUUID()}`, now);
  }

  /**
   * Takes `amount` back from a doctor (a refund after the earning was posted): from the wallet as far
   * as it goes, the rest owed on the recovery account.
   */
  async function clawBack(
    tx: Tx,
    c: {
      clinicianId: string;
      to: AccountRef;
      amount: number;
      key: string;
      cause: string;
      sessionId?: string | null;
    },
    now: Date,
  ) {
    const wallet = walletOf(c.clinicianId, c.to.currency);
    const avail = Math.max(0, (await ledger.balance(tx, wallet, true)).available);
    const fromWallet = Math.min(avail, c.amount);
    const spec = { credit: c.to, cause: c.cause, sessionId: c.sessionId ?? null };
    if (fromWallet > 0)
      await ledger.transfer(tx, { ...spec, debit: wallet, amount: fromWallet, key: `${c.key}:wallet` }, now);
    if (c.amount - fromWallet > 0)
      await ledger.transfer(
        tx,
        {
          ...spec,
          debit: recoveryOf(c.clinicianId, c.to.currency),
          amount: c.amount - fromWallet,
          key: `${c.key}:owed`,
        },
        now,
      );
  }

  /** GET /api/wallet: posted (wallet less what is owed), pending earnings, and the latest movements. */
  async function view(clinicianId: string, opts: { limit?: number; cursor?: string } = {}) {
    const limit = Math.min(opts.limit ?? 100, 500);
    const before = decodeCursor(opts.cursor, ['instant', 'uuid']);
    const w = await ledger.balance(deps.pool, walletOf(clinicianId, currency));
    const r = await ledger.balance(deps.pool, recoveryOf(clinicianId, currency));
    const rows = await deps.pool.query<{
      id: string;
      amount: number;
      cause: string;
      flag: string;
      sessionId: string | null;
      at: Date;
      cursorAt: string;
      incoming: boolean;
      resolved: string | null;
    }>(
      `select t.id, t.amount::float8 as amount, t.cause, t.flag, t.session_id as "sessionId", t.created_at as at,
         ${exactInstantSql('t.created_at')} as "cursorAt",
         t.credit_account_id = a.id as incoming,
         (select r.flag from ledger_transfers r where r.pending_id = t.id) as resolved
       from ledger_accounts a join ledger_transfers t on t.credit_account_id = a.id or t.debit_account_id = a.id
       where a.kind = 'doctor_wallet' and a.owner_id = $1 and a.currency = $2 and t.flag in ('posted', 'pending', 'post_pending')
         and ($4::timestamptz is null or (t.created_at, t.id) < ($4::timestamptz, $5::uuid))
       order by t.created_at desc, t.id desc limit $3`,
      [clinicianId, currency, limit + 1, before?.[0] ?? null, before?.[1] ?? null],
    );
    // Paged on the ledger's rows (a pending earning already resolved is then left out of the page).
    const page = toPage(rows.rows, limit, (t) => [t.cursorAt, t.id]);
    return {
      posted: money(w.posted + r.posted, currency),
      pending: money(w.pending, currency),
      owed: money(-r.posted, currency),
      nextCursor: page.nextCursor,
      transactions: page.items
        .filter((t) => t.flag !== 'pending' || t.resolved === null)
        .map((t) => ({
          id: t.id,
          amount: { amount: t.incoming ? t.amount : -t.amount, currency },
          kind: t.flag === 'pending' ? `${t.cause}_pending` : t.cause,
          sessionId: t.sessionId,
          at: t.at,
        })),
    };
  }

  /**
   * An admin records a payout: never more than the posted balance (the wallet's CHECK decides, also
   * between two payouts at once); the earnings it covers are listed once each (oldest first).
   */
  async function recordPayout(
    adminId: string,
    input: { clinicianId: string; amount: Money; reference: string },
    idemKey?: string,
  ) {
    if (input.amount.currency !== currency)
      throw new AppError(400, 'CURRENCY_MISMATCH', `Payouts are in ${currency}.`);
    const now = deps.clock.now();
    const key = `payout:${input.clinicianId}:${idemKey ?? `${input.reference}`}`;
    return deps.uow(async (tx) => {
      const existing = (
        await tx.query<{ id: string; amountMinor: number; reference: string; createdAt: Date }>(
          `select id, amount_minor as "amountMinor", reference, created_at as "createdAt" from payouts where idempotency_key = $1`,
          [key],
        )
      ).rows[0];
      if (existing) {
        if (existing.amountMinor !== input.amount.amount)
          throw new AppError(
            409,
            'IDEMPOTENCY_KEY_REUSED',
            'This payout reference was used for another amount.',
          );
        return { ...existing, clinicianId: input.clinicianId, amount: money(existing.amountMinor, currency) };
      }
      const payout = (
        await tx.query<{ id: string; createdAt: Date }>(
          `insert into payouts (clinician_id, amount_minor, currency, reference, idempotency_key, created_by_user_id, created_at)
           values ($1, $2, $3, $4, $5, $6, $7) returning id, created_at as "createdAt"`,
          [input.clinicianId, input.amount.amount, currency, input.reference, key, adminId, now],
        )
      ).rows[0]!;
      const moved = await ledger.tryTransfer(
        tx,
        {
          debit: walletOf(input.clinicianId, currency),
          credit: { kind: 'payouts', currency },
          amount: input.amount.amount,
          key,
          cause: 'payout',
        },
        now,
      );
      if (!moved.ok)
        throw new AppError(
          409,
          'PAYOUT_EXCEEDS_BALANCE',
          'The payout is more than the posted balance of the wallet.',
        );
      // Earnings covered, oldest first, each in at most one payout (unique index).
      await tx.query(
        `insert into payout_items (payout_id, transfer_id, amount_minor)
         select $1, id, amount from (
           select t.id, t.amount, sum(t.amount) over (order by t.created_at, t.id) as running
           from ledger_transfers t join ledger_accounts a on a.id = t.credit_account_id
           where a.kind = 'doctor_wallet' and a.owner_id = $2 and t.flag in ('posted', 'post_pending')
             and t.cause <> 'recovery' and not exists (select 1 from payout_items i where i.transfer_id = t.id)
         ) x where running <= $3
         on conflict do nothing`,
        [payout.id, input.clinicianId, input.amount.amount],
      );
      return {
        id: payout.id,
        clinicianId: input.clinicianId,
        amount: money(input.amount.amount, currency),
        reference: input.reference,
        createdAt: payout.createdAt,
      };
    });
  }

  return { creditEarning, recoverMany, clawBack, view, recordPayout, walletOf };
}

export type Wallets = ReturnType<typeof makeWallets>;
