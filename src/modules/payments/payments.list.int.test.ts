import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { encodeCursor } from '../../platform/paging.js';
import { type AdminPaymentFilter, adminPaymentsQuery } from './payments.list.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

/** The plan of the admin list's query, with sequential and bitmap scans priced out (the test table is tiny). */
async function planOf(f: AdminPaymentFilter): Promise<string> {
  const q = adminPaymentsQuery(drizzle(t.platform.pool, { casing: 'snake_case' }), f).toSQL();
  const client = await t.platform.pool.connect();
  try {
    await client.query('begin');
    await client.query('set local enable_seqscan = off');
    await client.query('set local enable_bitmapscan = off');
    const { rows } = await client.query(`explain ${q.sql}`, q.params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.query('rollback');
    client.release();
  }
}

test('the admin payments list reads an index in its order, with or without a status, and sorts nothing', async () => {
  const cursor = encodeCursor(['2026-11-30T10:00:00.123456Z', '00000000-0000-4000-8000-000000000001']);
  const all = await planOf({ limit: 50, cursor });
  expect(all).toMatch(/Index Scan Backward using payments_created/);
  expect(all).not.toMatch(/Sort/);
  const one = await planOf({ limit: 50, status: 'SUCCEEDED', from: new Date('2026-11-01T00:00:00Z') });
  expect(one).toMatch(/Index Scan Backward using payments_status_created/);
  expect(one).not.toMatch(/Sort/);
});
