import PgBoss from 'pg-boss';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase } from '../../test/support/db.js';
import { createPool, type Pool } from './db/pool.js';
import { createUnitOfWork } from './db/uow.js';
import { DEAD_LETTER_QUEUE, defineJob, JobQueue, registerJob } from './jobs.js';

const flaky = defineJob<{ n: number }>('platform.flaky', { retryLimit: 2, retryDelay: 1 });
const steady = defineJob<{ n: number }>('platform.steady');
const slow = defineJob<{ n: number }>('platform.slow');
const held = defineJob<{ n: number }>('platform.held', { expireInSeconds: 1, retryDelay: 0 });
const mixed = defineJob<{ n: number }>('platform.mixed', { retryLimit: 0 });

const until = async (cond: () => boolean, ms = 10_000) => {
  for (const t0 = Date.now(); !cond() && Date.now() - t0 < ms; ) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

describe('job queue', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let jobs: JobQueue;
  let pool: Pool;
  const calls: Array<[string, number, number]> = [];
  let running = 0;
  let maxRunning = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, 4);
    jobs = JobQueue.create(db.url, pino({ level: 'silent' }), { worker: true });
    await jobs.start();
    await jobs.register([
      registerJob(flaky, async ({ n }, ctx) => {
        calls.push(['flaky', n, ctx.retryCount]);
        throw new Error('provider down');
      }),
      registerJob(steady, async ({ n }, ctx) => void calls.push(['steady', n, ctx.retryCount])),
      registerJob(slow, async ({ n }, ctx) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 300));
        running--;
        calls.push(['slow', n, ctx.retryCount]);
      }),
      registerJob(held, async ({ n }, ctx) => void calls.push(['held', n, ctx.retryCount])),
      registerJob(mixed, async ({ n }, ctx) => {
        calls.push(['mixed', n, ctx.retryCount]);
        if (n % 2) throw new Error('odd');
      }),
    ]);
  });
  afterAll(async () => {
    await jobs?.stop();
    await pool?.end();
    await db?.drop();
  });

  const stateOf = async (name: string) =>
    (
      await pool.query<{ n: number; state: string }>(
        `select (data->>'n')::int as n, state from pgboss.job where name = $1 order by 1`,
        [name],
      )
    ).rows;

  test('a failing job is retried up to its limit, then lands in the dead-letter queue', async () => {
    await jobs.send(flaky, { n: 7 });
    for (let i = 0; i < 3; i++) await jobs.runPending({ names: [flaky.name], ignoreStartAfter: true });
    const attempts = calls.filter(([name, n]) => name === 'flaky' && n === 7).map(([, , retry]) => retry);
    expect(attempts.slice(0, 3)).toEqual([0, 1, 2]);
    const dead = await pool.query(`select data from pgboss.job where name = $1`, [DEAD_LETTER_QUEUE]);
    expect(dead.rows.map((r) => r.data)).toContainEqual({ n: 7 });
  });

  test('with a 60 s poll, a job sent in this process (or enqueued in a committed transaction) runs at once', async () => {
    await jobs.startWorkers({ pollingIntervalSeconds: 60, expireCheckSeconds: 1, concurrency: 10 });
    // The workers' first fetch found nothing; the next poll is a minute away.
    await new Promise((r) => setTimeout(r, 300));
    await jobs.send(steady, { n: 1 });
    expect(await until(() => calls.some(([name, n]) => name === 'steady' && n === 1))).toBe(true);

    const uow = createUnitOfWork(pool, jobs);
    await uow(async (tx) => {
      await tx.enqueue(steady, { n: 2 });
    });
    expect(await until(() => calls.some(([name, n]) => name === 'steady' && n === 2))).toBe(true);
    // Rolled back: never runs.
    await uow(async (tx) => {
      await tx.enqueue(steady, { n: 3 });
      throw new Error('abort');
    }).catch(() => {});
    await jobs.send(steady, { n: 4 });
    expect(await until(() => calls.some(([name, n]) => name === 'steady' && n === 4))).toBe(true);
    expect(calls.filter(([name]) => name === 'steady').map(([, n]) => n)).toEqual([1, 2, 4]);
  });

  test('one worker runs many jobs of a queue at once, and completes each', async () => {
    for (let n = 0; n < 20; n++) await jobs.send(slow, { n });
    expect(await until(() => calls.filter(([name]) => name === 'slow').length === 20, 20_000)).toBe(true);
    expect(maxRunning).toBeGreaterThanOrEqual(5);
    expect(maxRunning).toBeLessThanOrEqual(10);
    // Completions are recorded in batches just after the handlers return.
    let states = await stateOf(slow.name);
    for (let i = 0; i < 50 && states.some((s) => s.state !== 'completed'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      states = await stateOf(slow.name);
    }
    expect(states.map((s) => s.state)).toEqual(Array(20).fill('completed'));
  });

  test('jobs fetched together succeed or fail one by one', async () => {
    for (let n = 0; n < 6; n++) await jobs.send(mixed, { n });
    expect(await until(() => calls.filter(([name]) => name === 'mixed').length === 6)).toBe(true);
    let states = await stateOf(mixed.name);
    for (let i = 0; i < 50 && states.some((s) => s.state === 'active'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      states = await stateOf(mixed.name);
    }
    expect(states).toEqual([0, 1, 2, 3, 4, 5].map((n) => ({ n, state: n % 2 ? 'failed' : 'completed' })));
  });

  test('a job held by a worker that died is retried after its short expiry', async () => {
    // Another worker fetches the job and dies before completing it: the row stays `active`.
    const other = new PgBoss({ connectionString: db.url, max: 1, supervise: false, schedule: false });
    other.on('error', () => {});
    await other.start();
    const id = await other.send(held.name, { n: 9 }, { startAfter: new Date(Date.now() + 60_000) });
    const [taken] = await other.fetch(held.name, { ignoreStartAfter: true });
    expect(taken?.id).toBe(id);
    await other.stop({ graceful: false, wait: true });

    expect(await until(() => calls.some(([name, n]) => name === 'held' && n === 9), 15_000)).toBe(true);
    expect(calls.find(([name]) => name === 'held')).toEqual(['held', 9, 1]);
  });
});
