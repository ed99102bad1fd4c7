import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { defineJob, registerJob } from '../jobs.js';
import { ConnectionOutsideUnitOfWork } from './uow.js';

const probeJob = defineJob<{ marker: string }>('platform.probe');

describe('unit of work', () => {
  let t: TestApp;
  const ran: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    await t.platform.jobs.register([registerJob(probeJob, async ({ marker }) => void ran.push(marker))]);
    await t.platform.pool.query('create table probe_counter (id int primary key, n int not null)');
    await t.platform.pool.query('insert into probe_counter values (1, 0)');
  });
  afterAll(() => t?.close());

  test('retries a forced serialization failure and then commits once', async () => {
    let attempts = 0;
    const result = await t.platform.uow(async (tx) => {
      attempts++;
      await tx.query('update probe_counter set n = n + 1 where id = 1');
      if (attempts < 3) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      return 'done';
    });
    expect(result).toBe('done');
    expect(attempts).toBe(3);
    const { rows } = await t.platform.pool.query('select n from probe_counter where id = 1');
    expect(rows[0].n).toBe(1);
  });

  test('a statement sent with BEGIN runs inside the transaction and ends with it', async () => {
    const seen = await t.platform.uow(
      async (tx) =>
        (await tx.query<{ v: string }>("select current_setting('carebook.probe', true) as v")).rows[0]!.v,
      { withBegin: "select set_config('carebook.probe', 'inside', true)" },
    );
    expect(seen).toBe('inside');
    const { rows } = await t.platform.pool.query("select current_setting('carebook.probe', true) as v");
    expect(rows[0].v ?? '').not.toBe('inside');
  });

  test('real serializable conflicts between parallel transactions all end committed', async () => {
    await t.platform.pool.query('update probe_counter set n = 0 where id = 1');
    const bump = () =>
      t.platform.uow(
        async (tx) => {
          const { rows } = await tx.query<{ n: number }>('select n from probe_counter where id = 1');
          await new Promise((r) => setTimeout(r, 5));
          await tx.query('update probe_counter set n = $1 where id = 1', [rows[0]!.n + 1]);
        },
        { isolation: 'serializable' },
      );
    const results = await Promise.allSettled([bump(), bump(), bump()]);
    const committed = results.filter((r) => r.status === 'fulfilled').length;
    const { rows } = await t.platform.pool.query('select n from probe_counter where id = 1');
    // Lost updates are impossible: the counter equals the number of transactions that committed.
    expect(rows[0].n).toBe(committed);
    expect(committed).toBeGreaterThanOrEqual(2);
  });

  test('a serialization failure raised through Drizzle (wrapped error) is retried too', async () => {
    await t.platform.pool.query('update probe_counter set n = 0 where id = 1');
    let attempts = 0;
    // Both read, then both write: one of the two serializable transactions must fail with 40001.
    const readThenWrite = (gate: Promise<void>, open: () => void) =>
      t.platform.uow(
        async (tx) => {
          attempts++;
          await tx.db.execute(sql`select n from probe_counter where id = 1`);
          open();
          await gate;
          await tx.db.execute(sql`update probe_counter set n = n + 1 where id = 1`);
        },
        { isolation: 'serializable' },
      );
    let openA!: () => void;
    let openB!: () => void;
    const a = new Promise<void>((r) => (openA = r));
    const b = new Promise<void>((r) => (openB = r));
    const bothRead = Promise.all([a, b]).then(() => undefined);
    await Promise.all([readThenWrite(bothRead, openA), readThenWrite(bothRead, openB)]);
    expect(attempts).toBeGreaterThanOrEqual(3);
    const { rows } = await t.platform.pool.query('select n from probe_counter where id = 1');
    expect(rows[0].n).toBe(2);
  });

  test('gives up after a bounded number of attempts', async () => {
    let attempts = 0;
    await expect(
      t.platform.uow(async () => {
        attempts++;
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }),
    ).rejects.toThrow('deadlock');
    expect(attempts).toBe(5);
  });

  test('a job enqueued in a rolled-back transaction never runs; a committed one does', async () => {
    await expect(
      t.platform.uow(async (tx) => {
        await tx.enqueue(probeJob, { marker: 'rolled-back' });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await t.platform.uow(async (tx) => {
      await tx.enqueue(probeJob, { marker: 'committed' });
    });
    await t.runJobs({ names: [probeJob.name] });
    expect(ran).toEqual(['committed']);
  });

  // The guard's storage is switched off whenever no unit of work is running (it costs every promise
  // in the process while on): it must come back for every unit, and stay while any unit runs.
  test('the pool is refused inside every unit of work, while any other unit runs or after all ended', async () => {
    const refused = (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(ConnectionOutsideUnitOfWork);
    await t.platform.uow(async (tx) => tx.query('select 1'));
    await refused(t.platform.uow(() => t.platform.pool.query('select 1')));

    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let insideLong!: Promise<unknown>;
    const long = t.platform.uow(async () => {
      await held;
      // The short unit below has ended by now; this one still runs.
      insideLong = t.platform.pool.query('select 1').then(
        () => 'ran',
        (err: unknown) => err,
      );
      await insideLong;
    });
    await t.platform.uow(async (tx) => tx.query('select 1'));
    release();
    await long;
    expect(await insideLong).toBeInstanceOf(ConnectionOutsideUnitOfWork);

    // Work a unit started without awaiting it may use the pool once the unit has ended.
    let later!: Promise<unknown>;
    await t.platform.uow(async () => {
      later = new Promise((r) => setTimeout(r, 20)).then(() => t.platform.pool.query('select 1 as one'));
    });
    expect(((await later) as { rows: Array<{ one: number }> }).rows[0]!.one).toBe(1);
    await refused(t.platform.uow(() => t.platform.uow(async () => 1)));
  });

  test('after-commit hooks run only after a commit', async () => {
    const hooks: string[] = [];
    await t.platform.uow(async (tx) => tx.afterCommit(() => void hooks.push('a')));
    await t.platform
      .uow(async (tx) => {
        tx.afterCommit(() => void hooks.push('b'));
        throw new Error('no');
      })
      .catch(() => {});
    expect(hooks).toEqual(['a']);
  });
});
