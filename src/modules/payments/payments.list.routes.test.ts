import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  type BookingScene,
  bookAndPay,
  bookingScene,
  initiate,
  renewTokens,
} from '../../../test/factories/booking.js';
import { encodeCursor } from '../../platform/paging.js';

let s: BookingScene;
const ids: string[] = [];
beforeAll(async () => {
  s = await bookingScene();
  const { t, alice, bob, doc, slot } = s;
  // Four open holds and two paid bookings, one second apart (newest first is a strict order).
  for (const [who, i] of [
    [alice, 0],
    [bob, 1],
    [alice, 2],
    [bob, 3],
  ] as const) {
    t.clock.advance(1000);
    const held = await initiate(t, who, { clinicianId: doc.id, startAt: slot(1, `1${i}:00`) });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    ids.push(held.body.payment.paymentId);
  }
  for (const [who, hhmm] of [
    [alice, '09:00'],
    [bob, '09:30'],
  ] as const) {
    t.clock.advance(1000);
    ids.push((await bookAndPay(t, who, doc.id, slot(2, hhmm))).paymentId);
  }
  await renewTokens(t, s.admin, alice, bob);
});
afterAll(() => s?.t.close());

type Page = { items: Array<{ id: string; status: string; createdAt: string }>; nextCursor: string | null };
const page = async (q: string): Promise<Page> => {
  const res = await s.t.http.get(`/api/admin/payments?${q}`, { token: s.admin.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

test('admins page through every payment once, newest first; a payment made meanwhile does not shift the pages', async () => {
  const first = await page('limit=4');
  expect(first.items.map((p) => p.id)).toEqual(ids.slice(2).reverse());
  expect(first.nextCursor).not.toBeNull();

  // A new payment (newest) between pages: later pages neither repeat nor skip older rows.
  s.t.clock.advance(1000);
  const late = await initiate(s.t, s.alice, { clinicianId: s.doc.id, startAt: s.slot(3, '10:00') });
  expect(late.status).toBe(201);

  const second = await page(`limit=4&cursor=${first.nextCursor}`);
  expect(second.items.map((p) => p.id)).toEqual(ids.slice(0, 2).reverse());
  expect(second.nextCursor).toBeNull();

  const again = await page('limit=4');
  expect(again.items[0]!.id).toBe(late.body.payment.paymentId);
});

test('filters by status and creation time', async () => {
  const paid = await page('status=SUCCEEDED');
  expect(paid.items.map((p) => p.id)).toEqual(ids.slice(4).reverse());
  expect(paid.nextCursor).toBeNull();

  const all = await page('limit=50');
  const created = all.items.map((p) => p.createdAt).sort();
  const from = encodeURIComponent(created[2]!);
  const to = encodeURIComponent(created[4]!);
  const window = await page(`from=${from}&to=${to}`);
  expect(window.items.map((p) => p.createdAt).sort()).toEqual(created.slice(2, 4));
});

test('a bad cursor, a bad filter and a non-admin are refused', async () => {
  const { t, admin, alice } = s;
  for (const cursor of ['nonsense', encodeCursor(['2030-01-01T00:00:00.000Z', 'not-a-uuid'])]) {
    const bad = await t.http.get(`/api/admin/payments?cursor=${cursor}`, { token: admin.token });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('CURSOR_INVALID');
  }
  const badStatus = await t.http.get('/api/admin/payments?status=PAID', { token: admin.token });
  expect(badStatus.status).toBe(400);
  const patient = await t.http.get('/api/admin/payments', { token: alice.token });
  expect(patient.status).toBe(403);
  expect((await t.http.get('/api/admin/payments')).status).toBe(401);
});
