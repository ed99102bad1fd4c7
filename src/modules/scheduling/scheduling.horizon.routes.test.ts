import { afterAll, beforeAll, expect, test } from 'vitest';
import { bookableClinician, initiate, localSlot, renewTokens } from '../../../test/factories/booking.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

const DAY = 86_400_000;
let t: TestApp;
let doc: TestUser & { timeZone: string };
beforeAll(async () => {
  t = await startTestApp({ env: { BOOKING_HORIZON_DAYS: '3' } });
  doc = await bookableClinician(t, { timeZone: 'Asia/Kolkata' });
  // Now is such that the horizon falls at 11:15 local, between two 30-minute slots of working hours.
  t.clock.set(new Date(Date.parse(localSlot(t, 'Asia/Kolkata', 3, '11:15')) - 3 * DAY));
  await renewTokens(t, doc);
});
afterAll(() => t?.close());

type Slot = { startAt: string; status: string };
const localDay = (offsetDays: number) =>
  new Date(t.clock.now().getTime() + offsetDays * DAY).toLocaleDateString('en-CA', {
    timeZone: 'Asia/Kolkata',
  });

test('slot listings stop at the booking horizon: the last listed slot can be held, the next one is refused', async () => {
  const res = await t.http.get(`/api/clinicians/${doc.id}/slots?from=${localDay(0)}&to=${localDay(6)}`);
  expect(res.status).toBe(200);
  const slots: Slot[] = res.body.slots;
  const limit = t.clock.now().getTime() + 3 * DAY;
  expect(slots.length).toBeGreaterThan(0);
  expect(slots.every((s) => Date.parse(s.startAt) <= limit)).toBe(true);
  const last = slots[slots.length - 1]!;
  expect(Date.parse(last.startAt)).toBe(Date.parse(localSlot(t, 'Asia/Kolkata', 3, '11:00')));

  const patient = await createUser(t, { role: 'patient' });
  const ok = await initiate(t, patient, { clinicianId: doc.id, startAt: last.startAt });
  expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  const next = await initiate(t, patient, {
    clinicianId: doc.id,
    startAt: localSlot(t, 'Asia/Kolkata', 3, '11:30'),
  });
  expect(next.status).toBe(400);
  expect(next.body.code).toBe('BEYOND_BOOKING_HORIZON');
});

test('the search by date lists nobody past the horizon, and the day appears once the clock gets there', async () => {
  const far = localDay(5);
  const before = await t.http.get(`/api/slots?date=${far}`);
  expect(before.status).toBe(200);
  expect(before.body).toEqual([]);

  t.clock.advance(3 * DAY);
  await renewTokens(t, doc);
  const after = await t.http.get(`/api/slots?date=${far}`);
  expect(after.status).toBe(200);
  const mine = after.body.find((p: { clinician: { id: string } }) => p.clinician.id === doc.id);
  expect(mine?.slots.length).toBeGreaterThan(0);
  const limit = t.clock.now().getTime() + 3 * DAY;
  expect(mine.slots.every((s: Slot) => Date.parse(s.startAt) <= limit)).toBe(true);
});
