import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createPool, type Pool } from '../src/platform/db/pool.js';
import { defineJob, JobQueue, registerJob } from '../src/platform/jobs.js';
import { loggerOptions } from '../src/platform/logger.js';
import { createMetrics } from '../src/platform/metrics.js';
import type { AppModule } from '../src/platform/module.js';
import { testEnv } from './support/app.js';
import { createTestDatabase } from './support/db.js';

const PHONE = '+919812345678';
const DIGITS = '9812345678';

/** Log lines as written, for assertions on what reaches the log sink. */
function captureLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: pino(loggerOptions('trace'), sink), lines };
}

describe('errors from failed queries reach the logs without their values', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, 4);
    await pool.query(`create table probe_contacts (id int primary key, phone text not null unique)`);
    await pool.query(`insert into probe_contacts (id, phone) values (1, $1)`, [PHONE]);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  /** Inserts the contact's phone again: a unique violation whose params and detail hold the phone. */
  const duplicateContact = async (id: number) => {
    const orm = drizzle(pool);
    const { rows } = await orm.execute<{ phone: string }>(
      sql`select phone from probe_contacts where id = ${id}`,
    );
    await orm.execute(sql`insert into probe_contacts (id, phone) values (${id + 100}, ${rows[0]!.phone})`);
  };

  test('an HTTP 500 logs the SQLSTATE and the query text, never the phone', async () => {
    const { log, lines } = captureLogger();
    const probe: AppModule = {
      name: 'probe',
      routes: async (app) => {
        app.get('/api/probe/duplicate', async () => duplicateContact(1));
        // PostgreSQL repeats bad input in the message itself: invalid input syntax for type uuid: "+91...".
        app.get('/api/probe/cast', async () => drizzle(pool).execute(sql`select ${PHONE}::uuid as id`));
      },
    };
    const config = loadConfig(testEnv({ DATABASE_URL: db.url }));
    const app = await buildApp({ config, pool, metrics: createMetrics(), log, modules: [probe] });
    try {
      const duplicate = await app.inject({
        url: '/api/probe/duplicate',
        headers: { 'x-request-id': 'dup-1' },
      });
      const cast = await app.inject({ url: '/api/probe/cast', headers: { 'x-request-id': 'cast-1' } });
      expect([duplicate.statusCode, cast.statusCode]).toEqual([500, 500]);
      // Outside production the reply shows the error, also without the values.
      expect(duplicate.json().detail).toContain('insert into probe_contacts');
      expect(duplicate.body + cast.body).not.toContain(DIGITS);

      const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'unhandled error');
      expect(errors.map((l) => l.reqId)).toEqual(['dup-1', 'cast-1']);
      expect(errors[0].err).toMatchObject({
        message: expect.stringContaining('insert into probe_contacts (id, phone) values ($1, $2)'),
        query: 'insert into probe_contacts (id, phone) values ($1, $2)',
        cause: { code: '23505', constraint: 'probe_contacts_phone_key' },
      });
      expect(errors[0].err.params).toBeUndefined();
      expect(errors[1].err.cause).toMatchObject({ code: '22P02' });
      expect(lines.join('')).not.toContain(DIGITS);
    } finally {
      await app.close();
    }
  });

  test('a failing job logs and stores its error without the phone', async () => {
    const { log, lines } = captureLogger();
    const contactJob = defineJob<{ contactId: number }>('platform.probe-contact', { retryLimit: 0 });
    const jobs = JobQueue.create(db.url, log, { worker: false });
    await jobs.start();
    try {
      await jobs.register([registerJob(contactJob, async ({ contactId }) => duplicateContact(contactId))]);
      const jobId = await jobs.send(contactJob, { contactId: 1 });
      expect(await jobs.runPending({ names: [contactJob.name] })).toBe(1);

      const failed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'job failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        job: contactJob.name,
        jobId,
        err: { query: expect.stringContaining('$2'), cause: { code: '23505' } },
      });
      expect(lines.join('')).not.toContain(DIGITS);
      // pg-boss keeps the error in the job row, where admins read dead letters.
      const { rows } = await pool.query(`select state, output::text from pgboss.job where id = $1`, [jobId]);
      expect(rows[0].state).toBe('failed');
      expect(rows[0].output).toContain('probe_contacts');
      expect(rows[0].output).not.toContain(DIGITS);
    } finally {
      await jobs.stop();
    }
  });
});
