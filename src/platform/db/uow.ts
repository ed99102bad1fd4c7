import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { JobDef, JobQueue, SendOptions } from '../jobs.js';
import type { Pool, PoolClient } from './pool.js';

/** A Drizzle handle bound to one connection (inside a transaction) or to the pool (outside). */
export type Db = NodePgDatabase;

/** What a unit of work may touch: only handles bound to its own connection. */
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
export type UnitOfWork = <T>(fn: (tx: Tx) => Promise<T>, opts?: { isolation?: Isolation }) => Promise<T>;

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

function bindTx(client: PoolClient, jobs: JobQueue, hooks: Array<() => void | Promise<void>>): Tx {
  const executeSql = (text: string, values: unknown[]) => client.query(text, values);
  return {
    // Same casing as drizzle.config.ts: camelCase keys are snake_case columns.
    db: drizzle(client, { casing: 'snake_case' }),
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
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      const hooks: Array<() => void | Promise<void>> = [];
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        await client.query(`begin isolation level ${opts.isolation ?? 'read committed'}`);
        result = await fn(bindTx(client, jobs, hooks));
        await client.query('commit');
      } catch (err) {
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
