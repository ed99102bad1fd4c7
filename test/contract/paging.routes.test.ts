import { afterAll, beforeAll, expect, test } from 'vitest';
import { encodeCursor } from '../../src/platform/paging.js';
import { bookableClinician, initiate, localSlot } from '../factories/booking.js';
import { createUser, type TestUser } from '../factories/identity.js';
import { startTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let admin: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  admin = await createUser(t, { role: 'admin' });
});
afterAll(() => t?.close());

test('the audit trail pages with {items, nextCursor}: every row once, newest first, then null', async () => {
  const patient = await createUser(t, { role: 'patient' });
  for (let i = 0; i < 5; i++) await t.http.get('/api/patient-dashboard/profile', { token: patient.token });
  const seen: string[] = [];
  let cursor: string | null = '';
  let pages = 0;
  while (cursor !== null) {
    const q: string = `resourceId=${patient.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const res: { status: number; body: any } = await t.http.get(`/api/admin/audit?${q}`, {
      token: admin.token,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    seen.push(...res.body.items.map((r: { id: string }) => r.id));
    cursor = res.body.nextCursor;
    pages++;
  }
  expect(pages).toBe(3);
  expect(new Set(seen).size).toBe(5);
  const bad = await t.http.get('/api/admin/audit?cursor=nonsense', { token: admin.token });
  expect(bad.status).toBe(400);
  expect(bad.body.code).toBe('CURSOR_INVALID');
});

type Page = { items: Array<{ id: string }>; nextCursor: string | null };
async function walk(path: string, token: string, limit: number, between?: () => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | null = '';
  let pages = 0;
  while (cursor !== null) {
    const sep = path.includes('?') ? '&' : '?';
    const res: { status: number; body: Page } = await t.http.get(
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      { token },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    ids.push(...res.body.items.map((r) => r.id));
    cursor = res.body.nextCursor;
    if (pages++ === 0 && between) await between();
    // A cursor that repeats rows would page forever.
    expect(pages, 'paging did not end').toBeLessThan(100);
  }
  return { ids, pages };
}

test('admin users page oldest first; users added while paging never repeat or hide earlier ones', async () => {
  const before = await walk('/api/admin/users?role=staff', admin.token, 500);
  expect(before.ids).toEqual([]);
  const staff: string[] = [];
  for (let i = 0; i < 5; i++) {
    t.clock.advance(1000);
    staff.push((await createUser(t, { role: 'staff' })).id);
  }
  let added = '';
  const { ids, pages } = await walk('/api/admin/users?role=staff', admin.token, 2, async () => {
    t.clock.advance(1000);
    added = (await createUser(t, { role: 'staff' })).id;
  });
  expect(pages).toBe(3);
  expect(ids).toEqual([...staff, added]);
  const bad = await t.http.get('/api/admin/users?cursor=nonsense', { token: admin.token });
  expect(bad.status).toBe(400);
  expect(bad.body.code).toBe('CURSOR_INVALID');
});

test('admin appointments page newest start first, each once, stable under new bookings', async () => {
  const doc = await bookableClinician(t, { timeZone: 'Asia/Kolkata' });
  // One patient per hold: a patient may hold only a few unpaid slots at once.
  const hold = async (days: number, hhmm: string) =>
    initiate(t, await createUser(t, { role: 'patient' }), {
      clinicianId: doc.id,
      startAt: localSlot(t, doc.timeZone, days, hhmm),
    });
  const admin2 = await createUser(t, { role: 'admin' });
  const held: string[] = [];
  for (const [days, hhmm] of [
    [1, '10:00'],
    [1, '10:30'],
    [2, '10:00'],
    [2, '11:00'],
    [3, '09:00'],
  ] as const) {
    const res = await hold(days, hhmm);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    held.push(res.body.appointment.id);
  }
  const path = `/api/admin/appointments?clinicianId=${doc.id}`;
  const { ids, pages } = await walk(path, admin2.token, 2, async () => {
    // A booking earlier than everything listed so far lands on a later page, once.
    const res = await hold(1, '09:00');
    expect(res.status).toBe(201);
    held.unshift(res.body.appointment.id);
  });
  expect(pages).toBe(3);
  expect(ids).toEqual([...held].reverse());
  const bad = await t.http.get(`${path}&cursor=${encodeCursor(['x', 'y'])}`, { token: admin2.token });
  expect(bad.status).toBe(400);
  expect(bad.body.code).toBe('CURSOR_INVALID');
});

// Rows written in the same millisecond (the database clock has microseconds), ids ordered against
// time, and one exact tie: a millisecond cursor would skip all but the first of them.
const SAME_MS = [
  ['2026-11-30T10:00:00.123400Z', '00000000-0000-4000-8000-000000000001'],
  ['2026-11-30T10:00:00.123300Z', '00000000-0000-4000-8000-000000000002'],
  ['2026-11-30T10:00:00.123200Z', '00000000-0000-4000-8000-000000000005'],
  ['2026-11-30T10:00:00.123200Z', '00000000-0000-4000-8000-000000000003'],
  ['2026-11-30T10:00:00.123100Z', '00000000-0000-4000-8000-000000000004'],
] as const;

test('audit rows written in one millisecond page one at a time with no skip and no repeat', async () => {
  const resourceId = 'same-ms-probe';
  for (const [at, id] of SAME_MS)
    await t.platform.pool.query(
      `insert into audit_log (id, occurred_at, action, resource_type, resource_id) values ($1, $2, 'probe.read', 'probe', $3)`,
      [id, at, resourceId],
    );
  const { ids, pages } = await walk(`/api/admin/audit?resourceId=${resourceId}`, admin.token, 1);
  expect(ids).toEqual(SAME_MS.map(([, id]) => id));
  expect(pages).toBe(SAME_MS.length);
});

test('users created in one millisecond page one at a time with no skip and no repeat', async () => {
  // Oldest first: the same rows read in reverse.
  const rows = [...SAME_MS].reverse();
  for (const [i, [at, id]] of rows.entries())
    await t.platform.pool.query(
      `insert into users (id, phone, role, created_at, updated_at) values ($1, $2, 'clinician', $3, $3)`,
      [id.replace(/^0{8}/, 'aaaaaaaa'), `+9199000000${String(i).padStart(2, '0')}`, at],
    );
  const { ids } = await walk('/api/admin/users?role=clinician', admin.token, 1);
  expect(new Set(ids).size).toBe(ids.length);
  const mine = ids.filter((id) => id.startsWith('aaaaaaaa'));
  expect(mine).toEqual(rows.map(([, id]) => id.replace(/^0{8}/, 'aaaaaaaa')));
});
