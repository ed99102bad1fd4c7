import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EmbeddedDatabase, freePort, startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { startTestApp, type TestApp } from './support/app.js';
import { waitFor } from './support/wait.js';

/**
 * Issue 12, item 4: PostgreSQL stops under a running app (API and job workers in one process) and
 * comes back on the same port. The process stays up, answers 503 with Retry-After meanwhile, and
 * resumes by itself. A real embedded server of its own (the shared one must not stop).
 */
describe('the database goes away and comes back', () => {
  let root: string;
  let dataDir: string;
  let port: number;
  let db: EmbeddedDatabase;
  let app: TestApp;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'carebook-outage-'));
    chmodSync(root, 0o755);
    dataDir = path.join(root, 'postgres');
    port = await freePort();
    db = await startEmbeddedPostgres({ dataDir, port });
    app = await startTestApp({ databaseUrl: db.url, role: 'all', captureLogs: true });
    process.on('unhandledRejection', onRejection);
  }, 120_000);
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await app?.close();
    await db?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const errorLogs = () =>
    app.logs.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);

  test('503 problem+json with Retry-After while it is down; no crash, no error logs; all resumes after', async () => {
    expect((await app.http.get('/api/clinicians')).status).toBe(200);

    // A transaction in progress holds a checked-out connection when the server stops.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = app.platform.uow(async (t) => {
      await t.query('select 1');
      await held;
      await t.query('select 1');
    });
    const txOutcome = tx.then(
      () => 'committed',
      () => 'failed',
    );
    let lost = 0;
    await app.platform.listener.subscribe('outage_test', { onMessage: () => {}, onLost: () => lost++ });

    await db.stop();
    release();
    expect(await txOutcome).toBe('failed');

    const down = await app.http.get('/api/clinicians');
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(down.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    // Each of these follows the stop through a connection of its own: wait with a deadline, not one read.
    await waitFor(
      async () => (await app.http.get('/readyz')).status,
      (s) => s === 503,
      { withinMs: 30_000, everyMs: 200, what: '/readyz to answer 503' },
    );
    await waitFor(
      () => lost,
      (n) => n > 0,
      { withinMs: 30_000, what: 'the listener to report its connection lost' },
    );
    expect(lost).toBe(1);
    // Job workers and pg-boss's timers keep running against the missing server for a while.
    await new Promise((r) => setTimeout(r, 3_000));

    db = await startEmbeddedPostgres({ dataDir, port });
    let status = 0;
    for (let i = 0; i < 150 && status !== 200; i++) {
      status = (await app.http.get('/api/clinicians')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);

    // The worker resumed too: a job sent now is run and completed.
    const id = await app.platform.jobs.send({ name: 'booking.expire-holds', queue: {} }, {});
    let state = '';
    for (let i = 0; i < 150 && state !== 'completed'; i++) {
      const res = await app.platform.pool.query<{ state: string }>(
        'select state from pgboss.job where id = $1',
        [id],
      );
      state = res.rows[0]?.state ?? '';
      if (state !== 'completed') await new Promise((r) => setTimeout(r, 200));
    }
    expect(state).toBe('completed');

    expect(rejections).toEqual([]);
    expect(errorLogs()).toEqual([]);
  }, 120_000);
});
