import { AsyncLocalStorage } from 'node:async_hooks';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { JobDef, JobQueue, SendOptions } from '../jobs.js';
import type { Pool, PoolClient } from './pool.js';

/** A Drizzle handle bound to one connection (inside a transaction) or to the pool (outside). */
export type Db = NodePgDatabase;

/**
 * What a unit of work may touch: only handles bound to its own connection. Code that runs inside
 * one gets this and handles built from it (repositories, `tx.enqueue`, other modules' `within(tx)`
 * reads), never the pool: a read on another connection while this one holds row locks is how 20
 * concurrent webhooks once exhausted the pool and deadlocked.
 */
export type Tx = {
  db: Db;
  /** Raw SQL on the transaction's connection. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
  /** Enqueue a job that exists only if this transaction commits. */
  enqueue<T extends object>(def: JobDef<T>, data: T, opts?: Omit<SendOptions, 'db'>): Promise<string | null>;
  /** Runs after COMMIT succeeds (never after a rollback); for in-process signals only, not for durable work. */
  afterCommit(fn: () => void | Promise<void>): void;
};

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';
export type UnitOfWork = <T>(
  fn: (tx: Tx) => Promise<T>,
  opts?: {
    isolation?: Isolation;
    /** A statement without parameters sent with BEGIN in the same round trip (e.g. advisory locks). */
    withBegin?: string;
  },
) => Promise<T>;

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

/** The SQLSTATE of a pg error, also when Drizzle wraps it (DrizzleQueryError keeps it on `cause`). */
export function sqlStateOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 3; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isRetryable = (err: unknown) => RETRYABLE.has(sqlStateOf(err) ?? '');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The unit of work the current async call chain runs in, while its transaction is open. */
const current = new AsyncLocalStorage<{ open: boolean }>();

/** Thrown when code inside a unit of work reaches for another connection (the pool, or a nested unit of work). */
export class ConnectionOutsideUnitOfWork extends Error {
  constructor(what: string) {
    super(
      `${what} inside an open unit of work: use the transaction's handles (tx, repositories on tx.db, within(tx))`,
    );
    this.name = 'ConnectionOutsideUnitOfWork';
  }
}

const insideOpenUnit = () => current.getStore()?.open === true;

/**
 * Units of work whose function is running. The storage is switched off whenever none is: while any
 * AsyncLocalStorage is on, Node 20 runs a hook on every promise the process creates (about 0.14 µs
 * each, measured 2026-12-01), so reads that never open a unit (the slot listing) paid for the guard
 * anyway. Off, getStore() answers undefined: "not inside an open unit", which is then true.
 */
let running = 0;
async function runInUnit<T>(unit: { open: boolean }, fn: () => Promise<T>): Promise<T> {
  running++;
  try {
    return await current.run(unit, fn);
  } finally {
    if (--running === 0) current.disable();
  }
}

/**
 * The pool as the application sees it: `query` and `connect` refuse to run while the calling code
 * is inside an open unit of work, so a second connection can never be taken by accident (it would
 * wait for a connection that only lock-waiting transactions hold). Everything else is the pool's.
 */
export function guardPool(pool: Pool): Pool {
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'query' || prop === 'connect') {
        const fn = Reflect.get(target, prop, target) as (...a: unknown[]) => unknown;
        return (...args: unknown[]) => {
          if (insideOpenUnit())
            return Promise.reject(new ConnectionOutsideUnitOfWork(`pool.${String(prop)}()`));
          return fn.apply(target, args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * One Drizzle handle per pooled connection, made on its first transaction: a handle keeps its
 * column-name cache, which a new handle per transaction rebuilt every time (issue 12).
 */
const handles = new WeakMap<PoolClient, Db>();
const handleOf = (client: PoolClient): Db => {
  let db = handles.get(client);
  if (!db) {
    // Same casing as drizzle.config.ts: camelCase keys are snake_case columns.
    db = drizzle(client, { casing: 'snake_case' });
    handles.set(client, db);
  }
  return db;
};

function bindTx(client: PoolClient, jobs: JobQueue, hooks: Array<() => void | Promise<void>>): Tx {
  const executeSql = (text: string, values: unknown[]) => client.query(text, values);
  return {
    db: handleOf(client),
    query: (text, values) => client.query(text, values as unknown[]) as never,
    enqueue: async (def, data, opts) => {
      const id = await jobs.send(def, data, { ...opts, db: { executeSql } });
      // The job becomes visible at COMMIT: wake this process's worker then, not a poll later.
      if (id) hooks.push(() => jobs.wake(def.name, opts?.startAfter));
      return id;
    },
    afterCommit: (fn) => hooks.push(fn),
  };
}

/**
 * Runs `fn` in one transaction on one connection. Serialization failures and deadlocks
 * (40001, 40P01) roll back and run `fn` again from the start, a bounded number of times with
 * jittered backoff, so a retried attempt never reuses a result read in a failed one.
 */
export function createUnitOfWork(
  pool: Pool,
  jobs: JobQueue,
  onRetry?: (attempt: number, code: string) => void,
): UnitOfWork {
  return async (fn, opts = {}) => {
    if (insideOpenUnit()) throw new ConnectionOutsideUnitOfWork('a unit of work opened');
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      const hooks: Array<() => void | Promise<void>> = [];
      const unit = { open: true };
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        const begin = `begin isolation level ${opts.isolation ?? 'read committed'}`;
        await client.query(opts.withBegin ? `${begin}; ${opts.withBegin}` : begin);
        result = await runInUnit(unit, () => fn(bindTx(client, jobs, hooks)));
        unit.open = false;
        await client.query('commit');
      } catch (err) {
        unit.open = false;
        await client.query('rollback').catch(() => {});
        client.release();
        if (isRetryable(err) && attempt < MAX_ATTEMPTS) {
          onRetry?.(attempt, sqlStateOf(err)!);
          await sleep(Math.random() * 10 * 2 ** attempt);
          continue;
        }
        throw err;
      }
      client.release();
      for (const hook of hooks) await hook();
      return result;
    }
  };
}
