import { createHash } from 'node:crypto';
import type { Tx } from '../../platform/db/uow.js';
import { sqlStateOf } from '../../platform/db/uow.js';
import { AppError, Errors } from '../../platform/errors.js';
import type { AccountKind, TransferFlag } from './billing.table.js';

/** Accounts whose balance (pending debits counted) never goes below zero (money.md 3). */
const NO_OVERDRAFT: ReadonlySet<AccountKind> = new Set([
  'patient_escrow',
  'patient_credits',
  'deferred_revenue',
  'doctor_wallet',
]);

export type AccountRef = { kind: AccountKind; ownerId?: string | null; ref?: string; currency: string };

export type TransferSpec = {
  debit: AccountRef;
  credit: AccountRef;
  amount: number;
  key: string;
  cause: string;
  flag?: Extract<TransferFlag, 'posted' | 'pending'>;
  expiresAt?: Date;
  sessionId?: string | null;
  subscriptionId?: string | null;
  payableKind?: string | null;
  payableId?: string | null;
  paymentId?: string | null;
};

export type TransferRow = {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  currency: string;
  flag: TransferFlag;
  pendingId: string | null;
  expiresAt: Date | null;
  idempotencyKey: string;
  cause: string;
  sessionId: string | null;
  createdAt: Date;
};

/** A debit that would take a limited account below zero: the whole transfer is refused. */
export class LedgerLimitError extends Error {
  override name = 'LedgerLimitError';
}

const COLS = `id, debit_account_id as "debitAccountId", credit_account_id as "creditAccountId", amount::float8 as amount,
  currency, flag, pending_id as "pendingId", expires_at as "expiresAt", idempotency_key as "idempotencyKey",
  cause, session_id as "sessionId", created_at as "createdAt", content_hash as "contentHash"`;

const keyConflict = (key: string) =>
  Errors.conflict('IDEMPOTENCY_KEY_REUSED', `The idempotency key ${key} was used for a different transfer.`);

const hashOf = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

function isLimit(err: unknown): boolean {
  if (sqlStateOf(err) !== '23514') return false;
  for (let e = err as { constraint?: string; cause?: unknown } | undefined, i = 0; e && i < 3; i++) {
    if (e.constraint === 'ledger_accounts_no_overdraft') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * The double-entry core. Only this file writes `ledger_transfers`; the database applies each
 * transfer to its accounts (trigger) and refuses updates, deletes and overdrafts.
 */
export function createLedger() {
  // Accounts are never deleted, so an id seen after a commit stays valid for the process.
  const ids = new Map<string, string>();
  const cacheKey = (a: AccountRef) => `${a.kind}|${a.ownerId ?? ''}|${a.ref ?? ''}|${a.currency}`;

  async function accountId(tx: Tx, a: AccountRef, now: Date): Promise<string> {
    const k = cacheKey(a);
    const hit = ids.get(k);
    if (hit) return hit;
    const params = [a.kind, a.ownerId ?? null, a.ref ?? '', a.currency];
    const find = () =>
      tx.query<{ id: string }>(
        `select id from ledger_accounts where kind = $1 and owner_id is not distinct from $2 and ref = $3 and currency = $4`,
        params,
      );
    // Most accounts exist already: one read; a new one is inserted (a racing insert wins, then read it).
    const id =
      (await find()).rows[0]?.id ??
      (
        await tx.query<{ id: string }>(
          `insert into ledger_accounts (kind, owner_id, ref, currency, no_overdraft, created_at)
           values ($1, $2, $3, $4, $5, $6) on conflict on constraint ledger_accounts_identity do nothing returning id`,
          [...params, NO_OVERDRAFT.has(a.kind), now],
        )
      ).rows[0]?.id ??
      (await find()).rows[0]!.id;
    tx.afterCommit(() => {
      if (ids.size > 50_000) ids.clear();
      ids.set(k, id);
    });
    return id;
  }

  async function findByKey(tx: Tx, key: string) {
    const r = await tx.query<TransferRow & { contentHash: string }>(
      `select ${COLS} from ledger_transfers where idempotency_key = $1`,
      [key],
    );
    return r.rows[0] ?? null;
  }

  async function insert(
    tx: Tx,
    row: Omit<TransferRow, 'id' | 'createdAt'> & {
      contentHash: string;
      createdAt: Date;
      extra: TransferSpec;
    },
  ): Promise<{ transfer: TransferRow; created: boolean }> {
    let r: { rows: TransferRow[] };
    try {
      r = await tx.query<TransferRow>(
        `insert into ledger_transfers (debit_account_id, credit_account_id, amount, currency, flag, pending_id,
           expires_at, idempotency_key, content_hash, cause, session_id, subscription_id, payable_kind, payable_id,
           payment_id, created_at)
         values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
         on conflict do nothing returning ${COLS}`,
        [
          row.debitAccountId,
          row.creditAccountId,
          row.amount,
          row.currency,
          row.flag,
          row.pendingId,
          row.expiresAt,
          row.idempotencyKey,
          row.contentHash,
          row.cause,
          row.extra.sessionId ?? null,
          row.extra.subscriptionId ?? null,
          row.extra.payableKind ?? null,
          row.extra.payableId ?? null,
          row.extra.paymentId ?? null,
          row.createdAt,
        ],
      );
    } catch (err) {
      if (isLimit(err)) throw new LedgerLimitError(`transfer ${row.idempotencyKey} exceeds a balance limit`);
      throw err;
    }
    if (r.rows[0]) return { transfer: r.rows[0], created: true };
    const existing = await findByKey(tx, row.idempotencyKey);
    if (existing) {
      if (existing.contentHash !== row.contentHash) throw keyConflict(row.idempotencyKey);
      return { transfer: existing, created: false };
    }
    // Not our key: the pending transfer was already resolved by another post or void.
    throw new AppError(
      409,
      'TRANSFER_ALREADY_RESOLVED',
      'This pending transfer was already posted or voided.',
    );
  }

  /**
   * One transfer, idempotent by `key`: the same key and content returns the original; the same key
   * with other content is 409 IDEMPOTENCY_KEY_REUSED. A limit breach throws LedgerLimitError and,
   * as any error here, aborts the caller's transaction (use `tryTransfer` to carry on).
   */
  async function transfer(tx: Tx, spec: TransferSpec, now: Date) {
    if (!Number.isSafeInteger(spec.amount) || spec.amount <= 0)
      throw new Error(`transfer ${spec.key}: amount must be a positive integer, got ${spec.amount}`);
    if (spec.debit.currency !== spec.credit.currency) throw new Error(`transfer ${spec.key}: one currency`);
    const flag = spec.flag ?? 'posted';
    if (flag === 'pending' && !spec.expiresAt)
      throw new Error(`pending transfer ${spec.key} needs expiresAt`);
    const debitAccountId = await accountId(tx, spec.debit, now);
    const creditAccountId = await accountId(tx, spec.credit, now);
    const contentHash = hashOf([
      debitAccountId,
      creditAccountId,
      spec.amount,
      spec.debit.currency,
      flag,
      spec.cause,
      spec.sessionId ?? null,
      spec.payableId ?? null,
    ]);
    return insert(tx, {
      debitAccountId,
      creditAccountId,
      amount: spec.amount,
      currency: spec.debit.currency,
      flag,
      pendingId: null,
      expiresAt: flag === 'pending' ? spec.expiresAt! : null,
      idempotencyKey: spec.key,
      cause: spec.cause,
      sessionId: spec.sessionId ?? null,
      contentHash,
      createdAt: now,
      extra: spec,
    });
  }

  /** Like `transfer`, inside a savepoint: a limit breach is an answer, not an aborted transaction. */
  async function tryTransfer(
    tx: Tx,
    spec: TransferSpec,
    now: Date,
  ): Promise<{ ok: true; transfer: TransferRow; created: boolean } | { ok: false }> {
    // Accounts first, outside the savepoint: one created inside it would be undone with it while the
    // id cache (filled at commit) kept its id, and every later transfer to it would be refused.
    await accountId(tx, spec.debit, now);
    await accountId(tx, spec.credit, now);
    await tx.query('savepoint ledger_try');
    try {
      const res = await transfer(tx, spec, now);
      await tx.query('release savepoint ledger_try');
      return { ok: true, ...res };
    } catch (err) {
      await tx.query('rollback to savepoint ledger_try');
      if (err instanceof LedgerLimitError) return { ok: false };
      throw err;
    }
  }

  /**
   * Posts or voids a pending transfer once (the unique `pending_id` decides between racers); an
   * expired one cannot be posted (the trigger refuses it). Null when it was already resolved the other way.
   */
  async function resolve(
    tx: Tx,
    pendingKey: string,
    how: 'post_pending' | 'void_pending',
    now: Date,
  ): Promise<{ transfer: TransferRow; created: boolean } | null> {
    const p = await findByKey(tx, pendingKey);
    if (p?.flag !== 'pending') return null;
    const key = `${pendingKey}:${how === 'post_pending' ? 'post' : 'void'}`;
    try {
      return await insert(tx, {
        debitAccountId: p.debitAccountId,
        creditAccountId: p.creditAccountId,
        amount: p.amount,
        currency: p.currency,
        flag: how,
        pendingId: p.id,
        expiresAt: null,
        idempotencyKey: key,
        cause: p.cause,
        sessionId: p.sessionId,
        contentHash: hashOf([p.id, how]),
        createdAt: now,
        extra: { sessionId: p.sessionId } as TransferSpec,
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'TRANSFER_ALREADY_RESOLVED') return null;
      throw err;
    }
  }

  /** The resolution of a pending transfer, if any. */
  async function resolutionOf(tx: Tx, pendingKey: string): Promise<TransferFlag | null> {
    const r = await tx.query<{ flag: TransferFlag }>(
      `select r.flag from ledger_transfers p join ledger_transfers r on r.pending_id = p.id where p.idempotency_key = $1`,
      [pendingKey],
    );
    return r.rows[0]?.flag ?? null;
  }

  /** Balance (credits - debits) of an account: posted, and available (pending debits counted). */
  async function balance(tx: Pick<Tx, 'query'>, a: AccountRef, lock = false) {
    const r = await tx.query<{ posted: number; available: number; pending: number; id: string }>(
      `select id, (posted_credits - posted_debits)::float8 as posted,
         (posted_credits - posted_debits - pending_debits)::float8 as available,
         (pending_credits - pending_debits)::float8 as pending
       from ledger_accounts where kind = $1 and owner_id is not distinct from $2 and ref = $3 and currency = $4
       ${lock ? 'for update' : ''}`,
      [a.kind, a.ownerId ?? null, a.ref ?? '', a.currency],
    );
    return r.rows[0] ?? { id: null, posted: 0, available: 0, pending: 0 };
  }

  /** Ids of many accounts at once (missing ones created), keyed like `cacheKey`. */
  async function accountIds(tx: Tx, refs: AccountRef[], now: Date): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const missing = new Map<string, AccountRef>();
    for (const a of refs) {
      const k = cacheKey(a);
      const hit = ids.get(k);
      if (hit) out.set(k, hit);
      else missing.set(k, a);
    }
    if (missing.size === 0) return out;
    const list = [...missing.values()];
    const cols = [
      list.map((a) => a.kind),
      list.map((a) => a.ownerId ?? null),
      list.map((a) => a.ref ?? ''),
      list.map((a) => a.currency),
      list.map((a) => NO_OVERDRAFT.has(a.kind)),
    ];
    await tx.query(
      `insert into ledger_accounts (kind, owner_id, ref, currency, no_overdraft, created_at)
       select k, o, r, c, n, $6 from unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::bool[]) as x(k, o, r, c, n)
       on conflict on constraint ledger_accounts_identity do nothing`,
      [...cols, now],
    );
    const found = await tx.query<{
      id: string;
      kind: AccountKind;
      ownerId: string | null;
      ref: string;
      currency: string;
    }>(
      `select a.id, a.kind, a.owner_id as "ownerId", a.ref, a.currency from ledger_accounts a
       join unnest($1::text[], $2::uuid[], $3::text[], $4::text[]) as x(k, o, r, c)
         on a.kind = x.k and a.owner_id is not distinct from x.o and a.ref = x.r and a.currency = x.c`,
      cols.slice(0, 4),
    );
    const fresh: Array<[string, string]> = found.rows.map((r) => [cacheKey(r), r.id]);
    for (const [k, id] of fresh) out.set(k, id);
    tx.afterCommit(() => {
      if (ids.size > 50_000) ids.clear();
      for (const [k, id] of fresh) ids.set(k, id);
    });
    return out;
  }

  /**
   * Many posted transfers in one statement, for the billing tick (one array per column, row i across
   * them). The caller has locked the limited accounts and checked they can pay; a limit breach would
   * still fail the whole statement. Keys already present are skipped (a block charged before).
   */
  async function postMany(
    tx: Tx,
    cols: {
      debitIds: string[];
      creditIds: string[];
      amounts: number[];
      currencies: string[];
      keys: string[];
      causes: string[];
      sessionIds: Array<string | null>;
      subscriptionIds: Array<string | null>;
    },
    now: Date,
  ): Promise<void> {
    if (cols.keys.length === 0) return;
    // The same content hash `transfer` computes, so either path recognises the other's entry.
    const hashes = cols.keys.map((_, i) =>
      hashOf([
        cols.debitIds[i],
        cols.creditIds[i],
        cols.amounts[i],
        cols.currencies[i],
        'posted',
        cols.causes[i],
        cols.sessionIds[i],
        null,
      ]),
    );
    // Each column as one comma-separated text ('' for null): pg's array encoding costs more than the
    // statement here. Ids, amounts, codes, keys and causes never hold a comma.
    const list = (xs: Array<string | number | null>, what: string) => {
      const text = xs.map((x) => x ?? '').join(',');
      if (xs.length > 1 && text.split(',').length !== xs.length)
        throw new Error(`postMany: a comma in ${what}`);
      return text;
    };
    await tx.query(
      `insert into ledger_transfers (debit_account_id, credit_account_id, amount, currency, flag, idempotency_key,
         content_hash, cause, session_id, subscription_id, created_at)
       select d, c, a, cur, 'posted', k, h, cause, s, sub, $9
       from unnest(string_to_array($1, ',')::uuid[], string_to_array($2, ',')::uuid[], string_to_array($3, ',')::bigint[],
         string_to_array($4, ','), string_to_array($5, ','), string_to_array($6, ','), string_to_array($7, ',', '')::uuid[],
         string_to_array($8, ',', '')::uuid[], string_to_array($10, ','))
         as x(d, c, a, cur, k, cause, s, sub, h)
       on conflict do nothing`,
      [
        list(cols.debitIds, 'debitIds'),
        list(cols.creditIds, 'creditIds'),
        list(cols.amounts, 'amounts'),
        list(cols.currencies, 'currencies'),
        list(cols.keys, 'keys'),
        list(cols.causes, 'causes'),
        list(cols.sessionIds, 'sessionIds'),
        list(cols.subscriptionIds, 'subscriptionIds'),
        now,
        list(hashes, 'hashes'),
      ],
    );
  }

  return {
    accountId,
    accountIds,
    cacheKey,
    transfer,
    tryTransfer,
    postMany,
    resolve,
    resolutionOf,
    balance,
    findByKey,
  };
}

export type Ledger = ReturnType<typeof createLedger>;
