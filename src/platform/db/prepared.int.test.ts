import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import { createPool, type Pool, PREPARED_PER_CONNECTION } from './pool.js';
import { createStatementCache, rowShape } from './prebuilt.js';
import type { Db } from './uow.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, 2);
  await pool.query(
    `create table notes (id uuid primary key default gen_random_uuid(), body text not null default 'empty',
       tag text, at timestamptz not null)`,
  );
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const preparedOn = async (client: { query: Pool['query'] }) =>
  (await client.query(`select statement from pg_prepared_statements order by prepare_time`)).rows.map(
    (r) => r.statement as string,
  );

describe('statements prepared once per connection (issue 12)', () => {
  test('DATABASE_PREPARED_STATEMENTS=false: nothing is prepared (a transaction-mode pooler)', async () => {
    const plain = createPool(db.url, 1, { preparedStatements: false });
    try {
      const client = await plain.connect();
      expect((await client.query('select $1::int as n', [5])).rows).toEqual([{ n: 5 }]);
      expect(await preparedOn(client)).toEqual([]);
      client.release();
    } finally {
      await plain.end();
    }
  });

  test('a statement with parameters is prepared on first use and reused; without parameters it is not', async () => {
    const client = await pool.connect();
    try {
      const before = await preparedOn(client);
      for (const n of [1, 2, 3])
        expect((await client.query('select $1::int + 1 as n', [n])).rows).toEqual([{ n: n + 1 }]);
      // Several statements in one text (BEGIN with its locks) still go through the simple protocol.
      const multi = (await client.query('select 1 as a; select 2 as b')) as unknown as Array<{
        rows: unknown[];
      }>;
      expect(multi.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
      const after = await preparedOn(client);
      expect(after.filter((s) => !before.includes(s))).toEqual(['select $1::int + 1 as n']);
    } finally {
      client.release();
    }
  });

  test('the same text is the same statement on every connection, and a failing one can run again', async () => {
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      await a.query('select $1::text as v', ['x']);
      await b.query('select $1::text as v', ['y']);
      const named = async (c: typeof a) =>
        (await c.query(`select name from pg_prepared_statements where statement = 'select $1::text as v'`))
          .rows;
      expect(await named(a)).toEqual(await named(b));
      // An error in the statement leaves nothing half-prepared: the next use works.
      await expect(a.query('select $1::int as v', ['not a number'])).rejects.toMatchObject({ code: '22P02' });
      expect((await a.query('select $1::int as v', ['7'])).rows).toEqual([{ v: 7 }]);
    } finally {
      a.release();
      b.release();
    }
  });

  test(`a connection keeps at most ${PREPARED_PER_CONNECTION} statements; past that they run unnamed`, async () => {
    const client = await pool.connect();
    try {
      for (let i = 0; i < PREPARED_PER_CONNECTION + 20; i++)
        expect((await client.query(`select $1::int + ${i} as n`, [1])).rows).toEqual([{ n: 1 + i }]);
      expect((await preparedOn(client)).length).toBe(PREPARED_PER_CONNECTION);
    } finally {
      client.release();
    }
  });
});

const notes = pgTable('notes', {
  id: uuid().primaryKey().defaultRandom(),
  body: text().notNull(),
  tag: text(),
  at: timestamp({ withTimezone: true }).notNull(),
});

describe('prebuilt statements', () => {
  const statements = createStatementCache();
  const insert = (handle: Db, row: { body?: string; tag?: string | null; at: Date }) => {
    const { shape, placeholders } = rowShape(row);
    return statements<typeof notes.$inferSelect>(
      handle,
      `insert|${shape}`,
      () =>
        handle
          .insert(notes)
          .values(placeholders() as unknown as typeof notes.$inferInsert)
          .returning(),
      row,
    );
  };

  test('built once per shape, run on any handle, rows mapped as Drizzle maps them', async () => {
    const onPool: Db = drizzle(pool, { casing: 'snake_case' });
    const at = new Date('2031-06-18T10:00:00.123Z');
    const [first] = await insert(onPool, { body: 'one', tag: 'a', at });
    expect(first).toEqual({ id: expect.any(String), body: 'one', tag: 'a', at });
    // Another handle (a transaction's connection), the same shape: the same statement, its values.
    const client = await pool.connect();
    try {
      await client.query('begin');
      const [second] = await insert(drizzle(client, { casing: 'snake_case' }), {
        body: 'two',
        tag: 'b',
        at: new Date(at.getTime() + 1),
      });
      expect(second).toMatchObject({ body: 'two', tag: 'b', at: new Date(at.getTime() + 1) });
      await client.query('rollback');
    } finally {
      client.release();
    }
    // Other shapes: a NULL, a default.
    expect((await insert(onPool, { body: 'three', tag: null, at }))[0]).toMatchObject({ tag: null });
    expect((await insert(onPool, { at }))[0]).toMatchObject({ body: 'empty', tag: null });
    const rows = await pool.query(`select body from notes order by body`);
    expect(rows.rows.map((r) => r.body)).toEqual(['empty', 'one', 'three']);
  });

  test('a placeholder in raw SQL takes its value per call', async () => {
    const onPool: Db = drizzle(pool, { casing: 'snake_case' });
    const count = (tag: string) =>
      statements<{ n: number }>(
        onPool,
        'count',
        () =>
          onPool
            .select({ n: sql<number>`count(*)::int` })
            .from(notes)
            .where(sql`${notes.tag} = ${sql.placeholder('tag')}`),
        { tag },
      );
    expect(await count('a')).toEqual([{ n: 1 }]);
    expect(await count('zzz')).toEqual([{ n: 0 }]);
  });
});
