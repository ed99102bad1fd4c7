import { randomUUID } from 'node:crypto';
import type { Tx } from '../../platform/db/uow.js';
import { AppError, Errors } from '../../platform/errors.js';
import { money } from '../../platform/money.js';
import type { AccountRef, Ledger } from './billing.ledger.js';
import type { BillingDeps, BillingPayableHandlers, PaymentForBilling } from './billing.ports.js';
import { addDays, type CreditUnit, coversInstant, unitCurrency } from './billing.rules.js';
import type { SubscriptionStatus } from './billing.table.js';
import type { Wallets } from './billing.wallet.js';

export type SubscriptionRow = {
  id: string;
  patientId: string;
  planCode: string;
  status: SubscriptionStatus;
  priceMinor: number;
  currency: string;
  periodDays: number;
  textCredits: number;
  callCredits: number;
  payoutPerBlockMinor: number;
  paymentId: string | null;
  idempotencyKey: string;
  periodStart: Date | null;
  periodEnd: Date | null;
  createdAt: Date;
};

const SUB_COLS = `id, patient_id as "patientId", plan_code as "planCode", status, price_minor as "priceMinor", currency,
  period_days as "periodDays", text_credits as "textCredits", call_credits as "callCredits",
  payout_per_block_minor as "payoutPerBlockMinor", payment_id as "paymentId", idempotency_key as "idempotencyKey",
  period_start as "periodStart", period_end as "periodEnd", created_at as "createdAt"`;

export const creditsAccount = (patientId: string, subscriptionId: string, unit: CreditUnit) => ({
  kind: 'patient_credits' as const,
  ownerId: patientId,
  ref: subscriptionId,
  currency: unitCurrency(unit),
});

/**
 * Where a charged block's credit goes: one account per doctor and unit. A block for that doctor's
 * session credits the doctor's wallet in the same transaction, so it adds no lock a charge does not
 * already take, and the tick touches one such row per doctor instead of one per subscription.
 */
export const consumedAccount = (clinicianId: string, unit: CreditUnit) => ({
  kind: 'credit_issuance' as const,
  ref: `consumed:${clinicianId}`,
  currency: unitCurrency(unit),
});

const UNITS: CreditUnit[] = ['text', 'call'];

/** Which credit account (and deferred revenue) a planned block draws on: `{subscription}|{unit}`. */
const fundKey = (p: { sub: { id: string }; unit: string }) => `${p.sub.id}|${p.unit}`;

/** Plans bought through payments; credits granted on payment, taken per block, lapsed at period end. */
export function makeSubscriptions(deps: BillingDeps, ledger: Ledger, wallets: Wallets) {
  const currency = deps.config.currency;

  async function findForUpdate(tx: Tx, id: string) {
    return (
      await tx.query<SubscriptionRow>(`select ${SUB_COLS} from subscriptions where id = $1 for update`, [id])
    ).rows[0];
  }

  async function activeFor(
    tx: Pick<Tx, 'query'>,
    patientId: string,
    lock: '' | 'for share' | 'for update' = '',
  ) {
    const r = await tx.query<SubscriptionRow>(
      `select ${SUB_COLS} from subscriptions where patient_id = $1 and status = 'ACTIVE' ${lock}`,
      [patientId],
    );
    return r.rows[0] ?? null;
  }

  /** Makes a paid (or free) subscription ACTIVE and grants its credits, once; 'refund' if it can no longer start. */
  async function activate(tx: Tx, id: string, now: Date): Promise<'fulfilled' | 'refund'> {
    const sub = await findForUpdate(tx, id);
    if (!sub) return 'refund';
    if (sub.status === 'ACTIVE' || sub.status === 'EXPIRED') return 'fulfilled';
    if (sub.status === 'REFUNDED') return 'refund';
    const other = await activeFor(tx, sub.patientId);
    if (other && other.id !== sub.id) return 'refund';
    const periodEnd = addDays(now, sub.periodDays);
    await tx.query(
      `update subscriptions set status = 'ACTIVE', period_start = $2, period_end = $3, updated_at = $2 where id = $1`,
      [id, now, periodEnd],
    );
    for (const unit of UNITS) {
      const n = unit === 'text' ? sub.textCredits : sub.callCredits;
      if (n > 0)
        await ledger.transfer(
          tx,
          {
            debit: { kind: 'credit_issuance', ref: 'issued', currency: unitCurrency(unit) },
            credit: creditsAccount(sub.patientId, sub.id, unit),
            amount: n,
            key: `subscription:${id}:grant:${unit}`,
            cause: 'credits_granted',
            subscriptionId: id,
          },
          now,
        );
    }
    await deps.catalog.recordSubscription(tx, {
      patientId: sub.patientId,
      planCode: sub.planCode,
      status: 'active',
      periodEnd,
    });
    return 'fulfilled';
  }

  /** The money of a subscription payment enters the ledger: deferred revenue, or refunds when it cannot start. */
  async function recordPayment(tx: Tx, p: PaymentForBilling, outcome: 'fulfilled' | 'refund', now: Date) {
    await ledger.transfer(
      tx,
      {
        debit: { kind: 'gateway_clearing', currency: p.currency },
        credit:
          outcome === 'fulfilled'
            ? { kind: 'deferred_revenue', ref: p.payableId, currency: p.currency }
            : { kind: 'refunds', currency: p.currency },
        amount: p.amountMinor,
        key: `payment:${p.id}:received`,
        cause: outcome === 'fulfilled' ? 'subscription_payment' : 'subscription_refund',
        subscriptionId: p.payableId,
        payableKind: 'subscription',
        payableId: p.payableId,
        paymentId: p.id,
      },
      now,
    );
  }

  async function fail(tx: Tx, p: PaymentForBilling) {
    await tx.query(
      `update subscriptions set status = 'FAILED', updated_at = $2 where id = $1 and status = 'PENDING_PAYMENT'`,
      [p.payableId, deps.clock.now()],
    );
  }

  const handlers: BillingPayableHandlers = {
    async onSucceeded(tx, p) {
      const now = deps.clock.now();
      const outcome = await activate(tx, p.payableId, now);
      await recordPayment(tx, p, outcome, now);
      if (outcome === 'refund')
        await deps.payments.requestRefund(tx, {
          paymentId: p.id,
          reason: 'Another subscription is already active.',
          idempotencyKey: `subscription:${p.payableId}:refund`,
        });
    },
    onFailed: fail,
    onExpired: fail,
    async onLate(tx, p) {
      const now = deps.clock.now();
      const outcome = await activate(tx, p.payableId, now);
      await recordPayment(tx, p, outcome, now);
      return outcome;
    },
    async describe(id) {
      const r = await deps.pool.query<{ status: string }>('select status from subscriptions where id = $1', [
        id,
      ]);
      const s = r.rows[0];
      return s ? { state: s.status, paid: s.status === 'ACTIVE' || s.status === 'EXPIRED' } : null;
    },
  };

  /** POST /api/subscriptions: a PENDING_PAYMENT subscription and its payment (free plans start at once). */
  async function purchase(
    patientId: string,
    input: { planCode: string; provider?: string },
    idemKey?: string,
  ) {
    const plan = await deps.catalog.getPlan(input.planCode);
    if (!plan || plan.code === 'none' || plan.textCredits + plan.callCredits === 0)
      throw new AppError(404, 'PLAN_NOT_FOUND', `There is no plan ${input.planCode} for sale.`);
    const now = deps.clock.now();
    const key = `subscription:${patientId}:${idemKey ?? randomUUID()}`;
    const created = await deps.uow(async (tx) => {
      const existing = (
        await tx.query<SubscriptionRow>(`select ${SUB_COLS} from subscriptions where idempotency_key = $1`, [
          key,
        ])
      ).rows[0];
      if (existing) {
        if (existing.planCode !== plan.code)
          throw Errors.conflict('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was used for another plan.');
        return existing;
      }
      await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`subscription:${patientId}`]);
      const active = await activeFor(tx, patientId, 'for update');
      if (active && active.periodEnd!.getTime() <= now.getTime()) await lapse(tx, active, now);
      else if (active)
        throw Errors.conflict('SUBSCRIPTION_ACTIVE', 'You already have an active subscription.');
      const sub = (
        await tx.query<SubscriptionRow>(
          `insert into subscriptions (patient_id, plan_code, status, price_minor, currency, period_days, text_credits,
             call_credits, payout_per_block_minor, idempotency_key, created_at, updated_at)
           values ($1, $2, 'PENDING_PAYMENT', $3, $4, $5, $6, $7, $8, $9, $10, $10) returning ${SUB_COLS}`,
          [
            patientId,
            plan.code,
            plan.priceMinor,
            currency,
            plan.periodDays,
            plan.textCredits,
            plan.callCredits,
            plan.payoutPerBlockMinor,
            key,
            now,
          ],
        )
      ).rows[0]!;
      if (plan.priceMinor === 0) {
        await activate(tx, sub.id, now);
        return (await findForUpdate(tx, sub.id))!;
      }
      const { paymentId } = await deps.payments.preparePayment(tx, {
        payableKind: 'subscription',
        payableId: sub.id,
        patientId,
        amount: money(plan.priceMinor, currency),
        provider: input.provider,
        expiresAt: new Date(now.getTime() + deps.config.booking.holdMinutes * 60_000),
        description: `Carebook plan ${plan.name}`,
        idempotencyKey: `subscription:${sub.id}:payment`,
      });
      await tx.query('update subscriptions set payment_id = $2 where id = $1', [sub.id, paymentId]);
      return { ...sub, paymentId };
    });
    const payment =
      created.paymentId && created.status === 'PENDING_PAYMENT'
        ? await deps.payments.openCheckout(created.paymentId)
        : null;
    return { subscription: await view(created.id), payment };
  }

  async function view(id: string) {
    const s = (
      await deps.pool.query<SubscriptionRow>(`select ${SUB_COLS} from subscriptions where id = $1`, [id])
    ).rows[0]!;
    return {
      id: s.id,
      planCode: s.planCode,
      status: s.status,
      price: money(s.priceMinor, s.currency),
      periodStart: s.periodStart,
      periodEnd: s.periodEnd,
      credits: { text: s.textCredits, call: s.callCredits },
      createdAt: s.createdAt,
    };
  }

  /** GET /api/subscription: the active one (lapsed on read at period end) and its remaining credits. */
  async function current(patientId: string) {
    const now = deps.clock.now();
    const s = await activeFor(deps.pool, patientId);
    if (!s || !coversInstant(s, now))
      return { plan: null, status: 'NONE' as const, periodEnd: null, credits: { text: 0, call: 0 } };
    const plan = await deps.catalog.getPlan(s.planCode);
    const credits = { text: 0, call: 0 };
    for (const unit of UNITS)
      credits[unit] = (await ledger.balance(deps.pool, creditsAccount(patientId, s.id, unit))).available;
    return {
      id: s.id,
      plan: { code: s.planCode, name: plan?.name ?? s.planCode },
      status: s.status,
      periodEnd: s.periodEnd,
      credits,
    };
  }

  /** Credits the patient can spend on a block due at `at` (0 when no subscription covers it). */
  async function creditsAvailable(patientId: string, unit: CreditUnit, at: Date) {
    const s = await activeFor(deps.pool, patientId);
    if (!s || !coversInstant(s, at)) return 0;
    return (await ledger.balance(deps.pool, creditsAccount(patientId, s.id, unit))).available;
  }

  /**
   * Takes one credit for block `n` of a session and pays the doctor the plan's payout, idempotently
   * (key `{kind}:{session}:block:{n}`). Not ok when no subscription covers `at` or no credit is left:
   * the database's limit decides, so two sessions deducting at once never go below zero.
   */
  async function chargeBlock(
    tx: Tx,
    b: { sessionId: string; kind: CreditUnit; n: number; patientId: string; clinicianId: string; at: Date },
    now: Date,
  ): Promise<{ ok: true; remaining: number; subscriptionId: string } | { ok: false }> {
    const sub = await activeFor(tx, b.patientId, 'for share');
    if (!sub || !coversInstant(sub, b.at)) return { ok: false };
    const key = `${b.kind}:${b.sessionId}:block:${b.n}`;
    const taken = await ledger.tryTransfer(
      tx,
      {
        debit: creditsAccount(b.patientId, sub.id, b.kind),
        credit: consumedAccount(b.clinicianId, b.kind),
        amount: 1,
        key,
        cause: `${b.kind}_block`,
        sessionId: b.sessionId,
        subscriptionId: sub.id,
      },
      now,
    );
    if (!taken.ok) return { ok: false };
    if (sub.payoutPerBlockMinor > 0)
      await wallets.creditEarning(
        tx,
        {
          from:
            sub.priceMinor > 0
              ? { kind: 'deferred_revenue', ref: sub.id, currency: sub.currency }
              : { kind: 'platform_revenue', currency: sub.currency },
          clinicianId: b.clinicianId,
          amount: sub.payoutPerBlockMinor,
          key: `${key}:payout`,
          cause: `${b.kind}_block_earning`,
          sessionId: b.sessionId,
        },
        now,
      );
    const remaining = (await ledger.balance(tx, creditsAccount(b.patientId, sub.id, b.kind))).available;
    return { ok: true, remaining, subscriptionId: sub.id };
  }

  type Block = {
    sessionId: string;
    kind: CreditUnit;
    n: number;
    patientId: string;
    clinicianId: string;
    at: Date;
  };
  type Charged = { ok: true; remaining: number; subscriptionId: string } | { ok: false };

  /**
   * `chargeBlock` for many blocks at once (the tick): the patients' subscriptions read `for share`,
   * their credit accounts (with the deferred revenue accounts) read and locked in id order in one
   * statement, credits allocated in the blocks' order, then every credit and payout transfer written
   * in one statement. Same keys, accounts and limits as `chargeBlock`. The results are final before
   * that write: `beforePost` gets them first, so the caller's own writes happen before the statement
   * that locks the doctors' wallets (held until commit, and every batch shares them).
   */
  async function chargeBlocks(
    tx: Tx,
    blocks: Block[],
    now: Date,
    beforePost?: (results: Charged[]) => Promise<void>,
  ): Promise<Charged[]> {
    if (blocks.length === 0) {
      await beforePost?.([]);
      return [];
    }
    const subs = new Map(
      (
        await tx.query<SubscriptionRow>(
          `select ${SUB_COLS} from subscriptions where patient_id = any($1::uuid[]) and status = 'ACTIVE' for share`,
          [[...new Set(blocks.map((b) => b.patientId))]],
        )
      ).rows.map((x) => [x.patientId, x]),
    );
    const plan = blocks.map((b) => {
      const sub = subs.get(b.patientId);
      return sub && coversInstant(sub, b.at) ? { b, sub, unit: unitCurrency(b.kind) } : null;
    });
    const funds = await lockCredits(tx, plan);
    const out: Charged[] = plan.map((p) => {
      const f = p && funds.get(fundKey(p));
      if (!p || !f || f.avail < 1) return { ok: false };
      f.avail -= 1;
      return { ok: true, remaining: f.avail, subscriptionId: p.sub.id };
    });
    // All or nothing per session: a session that cannot pay every block is left to the exact path.
    const short = new Set<string>();
    for (const [i, r] of out.entries()) if (!r.ok) short.add(blocks[i]!.sessionId);
    for (const [i, b] of blocks.entries()) if (short.has(b.sessionId)) out[i] = { ok: false };
    await beforePost?.(out);
    const kept = plan.filter((p, i): p is NonNullable<typeof p> => out[i]!.ok);
    const accounts = await blockAccounts(tx, kept, funds, now);
    const cols: Parameters<typeof ledger.postMany>[1] = {
      debitIds: [],
      creditIds: [],
      amounts: [],
      currencies: [],
      keys: [],
      causes: [],
      sessionIds: [],
      subscriptionIds: [],
    };
    const push = (
      debitId: string,
      creditId: string,
      amount: number,
      cur: string,
      key: string,
      cause: string,
      p: (typeof kept)[number],
    ) => {
      cols.debitIds.push(debitId);
      cols.creditIds.push(creditId);
      cols.amounts.push(amount);
      cols.currencies.push(cur);
      cols.keys.push(key);
      cols.causes.push(cause);
      cols.sessionIds.push(p.b.sessionId);
      cols.subscriptionIds.push(p.sub.id);
    };
    for (const [i, p] of kept.entries()) {
      const a = accounts[i]!;
      const key = `${p.b.kind}:${p.b.sessionId}:block:${p.b.n}`;
      push(a.credits, a.consumed, 1, p.unit, key, `${p.b.kind}_block`, p);
      if (p.sub.payoutPerBlockMinor > 0)
        push(
          a.from,
          a.wallet,
          p.sub.payoutPerBlockMinor,
          p.sub.currency,
          `${key}:payout`,
          `${p.b.kind}_block_earning`,
          p,
        );
    }
    await ledger.postMany(tx, cols, now);
    const doctors = [...new Set(blocks.map((b) => b.clinicianId))];
    await wallets.recoverMany(tx, doctors, subs.values().next().value?.currency ?? currency, now);
    return out;
  }

  /**
   * The four account ids of each charged block (in `kept`'s order): credits and deferred revenue as
   * read by `lockCredits`; the doctors' wallets and consumption accounts (and any other) through the
   * ledger's id cache, each distinct account looked up once.
   */
  async function blockAccounts(
    tx: Tx,
    kept: Array<{ b: Block; sub: SubscriptionRow; unit: string }>,
    funds: Awaited<ReturnType<typeof lockCredits>>,
    now: Date,
  ) {
    const refs = new Map<string, AccountRef>();
    const need = (a: AccountRef) => {
      const k = ledger.cacheKey(a);
      if (!refs.has(k)) refs.set(k, a);
      return k;
    };
    const keyed = kept.map((p) => {
      const f = funds.get(fundKey(p))!;
      const from =
        p.sub.priceMinor <= 0
          ? need({ kind: 'platform_revenue', currency: p.sub.currency })
          : f.deferredId === null
            ? need({ kind: 'deferred_revenue', ref: p.sub.id, currency: p.sub.currency })
            : null;
      return {
        from,
        consumed: need(consumedAccount(p.b.clinicianId, p.b.kind)),
        wallet: need({ kind: 'doctor_wallet', ownerId: p.b.clinicianId, currency: p.sub.currency }),
      };
    });
    const idOf = await ledger.accountIds(tx, [...refs.values()], now);
    return keyed.map((k, i) => {
      const f = funds.get(fundKey(kept[i]!))!;
      return {
        credits: f.creditsId,
        from: k.from === null ? f.deferredId! : idOf.get(k.from)!,
        consumed: idOf.get(k.consumed)!,
        wallet: idOf.get(k.wallet)!,
      };
    });
  }

  /**
   * The credit accounts the planned blocks draw on, locked (`for update`, id order) with what they
   * have left, and the subscriptions' deferred revenue accounts, keyed `{subscription}|{unit}`.
   */
  async function lockCredits(tx: Tx, plan: Array<{ b: Block; sub: SubscriptionRow; unit: string } | null>) {
    const wanted = new Map<string, { patientId: string; subId: string; unit: string; cur: string }>();
    for (const p of plan)
      if (p)
        wanted.set(fundKey(p), {
          patientId: p.b.patientId,
          subId: p.sub.id,
          unit: p.unit,
          cur: p.sub.currency,
        });
    const list = [...wanted.values()];
    const r = await tx.query<{
      creditsId: string;
      ref: string;
      unit: string;
      avail: number;
      deferredId: string | null;
    }>(
      `select c.id as "creditsId", c.ref, c.currency as unit, (c.posted_credits - c.posted_debits - c.pending_debits)::float8 as avail,
         d.id as "deferredId"
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as x(owner, ref, unit, cur)
       join ledger_accounts c on c.kind = 'patient_credits' and c.owner_id = x.owner and c.ref = x.ref and c.currency = x.unit
       left join ledger_accounts d on d.kind = 'deferred_revenue' and d.owner_id is null and d.ref = x.ref and d.currency = x.cur
       order by c.id for update of c`,
      [
        list.map((w) => w.patientId),
        list.map((w) => w.subId),
        list.map((w) => w.unit),
        list.map((w) => w.cur),
      ],
    );
    return new Map(r.rows.map((x) => [`${x.ref}|${x.unit}`, x]));
  }

  /** Period over: unused credits lapse, the rest of the price becomes platform revenue. */
  async function lapseDue(limit = 200): Promise<number> {
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const due = (
        await tx.query<SubscriptionRow>(
          `select ${SUB_COLS} from subscriptions where status = 'ACTIVE' and period_end <= $1
           order by period_end limit $2 for update skip locked`,
          [now, limit],
        )
      ).rows;
      for (const s of due) await lapse(tx, s, now);
      return due.length;
    });
  }

  async function lapse(tx: Tx, s: SubscriptionRow, now: Date) {
    await tx.query(`update subscriptions set status = 'EXPIRED', updated_at = $2 where id = $1`, [s.id, now]);
    for (const unit of UNITS) {
      const acct = creditsAccount(s.patientId, s.id, unit);
      const left = (await ledger.balance(tx, acct, true)).available;
      if (left > 0)
        await ledger.transfer(
          tx,
          {
            debit: acct,
            credit: { kind: 'credit_issuance', ref: 'lapsed', currency: unitCurrency(unit) },
            amount: left,
            key: `subscription:${s.id}:lapse:${unit}`,
            cause: 'credits_lapsed',
            subscriptionId: s.id,
          },
          now,
        );
    }
    const deferred = { kind: 'deferred_revenue' as const, ref: s.id, currency: s.currency };
    const rest = (await ledger.balance(tx, deferred, true)).available;
    if (rest > 0)
      await ledger.transfer(
        tx,
        {
          debit: deferred,
          credit: { kind: 'platform_revenue', currency: s.currency },
          amount: rest,
          key: `subscription:${s.id}:recognised`,
          cause: 'subscription_revenue',
          subscriptionId: s.id,
        },
        now,
      );
    await deps.catalog.recordSubscription(tx, {
      patientId: s.patientId,
      planCode: s.planCode,
      status: 'expired',
      periodEnd: s.periodEnd!,
    });
  }

  /** Demo data only: an active subscription whose payment is recorded as if the sandbox had taken it. */
  async function grantDemo(tx: Tx, patientId: string, planCode: string) {
    const plan = await deps.catalog.within(tx).getPlan(planCode);
    if (!plan || (await activeFor(tx, patientId))) return;
    const now = deps.clock.now();
    const sub = (
      await tx.query<{ id: string }>(
        `insert into subscriptions (patient_id, plan_code, status, price_minor, currency, period_days, text_credits,
           call_credits, payout_per_block_minor, idempotency_key, created_at, updated_at)
         values ($1, $2, 'PENDING_PAYMENT', $3, $4, $5, $6, $7, $8, $9, $10, $10) returning id`,
        [
          patientId,
          plan.code,
          plan.priceMinor,
          currency,
          plan.periodDays,
          plan.textCredits,
          plan.callCredits,
          plan.payoutPerBlockMinor,
          `demo:${patientId}`,
          now,
        ],
      )
    ).rows[0]!;
    await activate(tx, sub.id, now);
    if (plan.priceMinor > 0)
      await ledger.transfer(
        tx,
        {
          debit: { kind: 'gateway_clearing', currency },
          credit: { kind: 'deferred_revenue', ref: sub.id, currency },
          amount: plan.priceMinor,
          key: `demo:${sub.id}:received`,
          cause: 'subscription_payment',
          subscriptionId: sub.id,
        },
        now,
      );
  }

  return { handlers, purchase, current, creditsAvailable, chargeBlock, chargeBlocks, lapseDue, grantDemo };
}

export type Subscriptions = ReturnType<typeof makeSubscriptions>;
