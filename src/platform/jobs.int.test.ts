import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase } from '../../test/support/db.js';
import { createPool, type Pool } from './db/pool.js';
import { DEAD_LETTER_QUEUE, defineJob, JobQueue, registerJob } from './jobs.js';

const flaky = defineJob<{ n: number }>('platform.flaky', { retryLimit: 2, retryDelay: 1 });
const steady = defineJob<{ n: number }>('platform.steady');

describe('job queue', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let jobs: JobQueue;
  let pool: Pool;
  const calls: Array<[string, number, number]> = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, 2);
    jobs = JobQueue.create(db.url, pino({ level: 'silent' }), { worker: true });
    await jobs.start();
    await jobs.register([
      registerJob(flaky, async ({ n }, ctx) => {
        calls.push(['flaky', n, ctx.retryCount]);
        throw new Error('provider down');
      }),
      registerJob(steady, async ({ n }, ctx) => void calls.push(['steady', n, ctx.retryCount])),
    ]);
  });
  afterAll(async () => {
    await jobs?.stop();
    await pool?.end();
    await db?.drop();
  });

  test('workers poll the queue and run a job sent outside any transaction', async () => {
    await jobs.startWorkers(0.5);
    await jobs.send(steady, { n: 1 });
    for (let i = 0; i < 100 && !calls.some(([name]) => name === 'steady'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(calls).toContainEqual(['steady', 1, 0]);
  });

  test('a failing job is retried up to its limit, then lands in the dead-letter queue', async () => {
    await jobs.send(flaky, { n: 7 });
    for (let i = 0; i < 3; i++) await jobs.runPending({ names: [flaky.name], ignoreStartAfter: true });
    const attempts = calls.filter(([name, n]) => name === 'flaky' && n === 7).map(([, , retry]) => retry);
    expect(attempts.slice(0, 3)).toEqual([0, 1, 2]);
    const dead = await pool.query(`select data from pgboss.job where name = $1`, [DEAD_LETTER_QUEUE]);
    expect(dead.rows.map((r) => r.data)).toContainEqual({ n: 7 });
  });
});
