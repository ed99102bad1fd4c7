import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookAndPay, initiate, renewTokens } from '../../../test/factories/booking.js';
import { createCentre, setAvailability, setListing } from '../../../test/factories/catalog.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { IST } from '../../../test/support/clock.js';

const DAY = 86_400_000;
type Listed = { id: string; nextAvailableSlot: Record<string, unknown> | null };

/** The clinician search's `nextAvailableSlot` of one clinician. */
async function nextOf(t: TestApp, clinicianId: string, query = '') {
  const res = await t.http.get(`/api/clinicians${query ? `?${query}` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const found = (res.body as Listed[]).find((c) => c.id === clinicianId);
  expect(found, `${clinicianId} is listed for "${query}"`).toBeDefined();
  return found!.nextAvailableSlot;
}

describe('the clinician search shows each next available slot', () => {
  let t: TestApp;
  let admin: TestUser;
  let patient: TestUser;
  let doc: TestUser;
  let idle: TestUser;
  let away: TestUser;
  let centreA: { id: string };
  let centreB: { id: string };
  // The test clock is a Monday, 11:30 in Kolkata: the 11:30 slot has started, 12:00 is the next.
  const online = (days: number, start: string, end: string) => ({
    startAt: t.clock.local(days, start, IST),
    endAt: t.clock.local(days, end, IST),
    mode: 'online',
    centreId: null,
  });

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createUser(t, { role: 'admin' });
    patient = await createUser(t, { role: 'patient' });
    centreA = await createCentre(t, admin, { name: 'Indiranagar' });
    centreB = await createCentre(t, admin, { name: 'Koramangala' });
    doc = await createUser(t, { role: 'clinician', fullName: 'Dr. Next Slot', timeZone: IST });
    await setListing(t, admin, doc.id, {
      modes: ['online', 'in_person'],
      centreIds: [centreA.id, centreB.id],
      fee: { amount: 50_000, currency: 'INR' },
    });
    // Online every day 09:00-17:00; in person at A tomorrow evening, at B the evening after.
    await setAvailability(t, admin, doc.id, [
      ...[1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
      {
        weekday: t.clock.weekday(1, IST),
        start: '17:00',
        end: '19:00',
        mode: 'in_person',
        centreId: centreA.id,
        slotMinutes: 60,
      },
      {
        weekday: t.clock.weekday(2, IST),
        start: '17:00',
        end: '19:00',
        mode: 'in_person',
        centreId: centreB.id,
        slotMinutes: 60,
      },
    ]);
    idle = await createUser(t, { role: 'clinician', fullName: 'Dr. No Hours', timeZone: IST });
    await setListing(t, admin, idle.id);
    away = await createUser(t, { role: 'clinician', fullName: 'Dr. Far Away', timeZone: IST });
    await setListing(t, admin, away.id);
    await setAvailability(
      t,
      admin,
      away.id,
      [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
    );
  });
  afterAll(() => t?.close());

  test('the first future slot, in the clinician zone; null without availability; the same on GET one', async () => {
    expect(await nextOf(t, doc.id)).toEqual(online(0, '12:00', '12:30'));
    expect(await nextOf(t, idle.id)).toBeNull();
    const one = await t.http.get(`/api/clinicians/${doc.id}`);
    expect(one.status).toBe(200);
    expect(one.body.nextAvailableSlot).toEqual(online(0, '12:00', '12:30'));
    expect((await t.http.get(`/api/clinicians/${idle.id}`)).body.nextAvailableSlot).toBeNull();
  });

  test('the mode filter: in person is tomorrow evening at the centre; online stays today', async () => {
    expect(await nextOf(t, doc.id, 'mode=in_person')).toEqual({
      startAt: t.clock.local(1, '17:00', IST),
      endAt: t.clock.local(1, '18:00', IST),
      mode: 'in_person',
      centreId: centreA.id,
    });
    expect(await nextOf(t, doc.id, 'mode=online')).toEqual(online(0, '12:00', '12:30'));
    // A centre filter keeps in-person slots at that centre only.
    expect(await nextOf(t, doc.id, `mode=in_person&centreId=${centreB.id}`)).toMatchObject({
      startAt: t.clock.local(2, '17:00', IST),
      centreId: centreB.id,
    });
    expect(await nextOf(t, idle.id, 'mode=online')).toBeNull();
  });

  test('a booking on the first slot moves it to the next one, a hold too', async () => {
    expect(await nextOf(t, doc.id)).toEqual(online(0, '12:00', '12:30')); // warm: served from the cache next
    await bookAndPay(t, patient, doc.id, t.clock.at(0, '12:00', IST).toISOString());
    expect(await nextOf(t, doc.id)).toEqual(online(0, '12:30', '13:00'));
    const other = await createUser(t, { role: 'patient' });
    const held = await initiate(t, other, {
      clinicianId: doc.id,
      startAt: t.clock.at(0, '12:30', IST).toISOString(),
    });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect(held.body.appointment.status).toBe('PENDING_PAYMENT');
    expect(await nextOf(t, doc.id)).toEqual(online(0, '13:00', '13:30'));
    expect((await t.http.get(`/api/clinicians/${doc.id}`)).body.nextAvailableSlot).toEqual(
      online(0, '13:00', '13:30'),
    );
    // In person is not taken by an online booking.
    expect(await nextOf(t, doc.id, 'mode=in_person')).toMatchObject({
      startAt: t.clock.local(1, '17:00', IST),
    });
  });

  test('the patient who races for the shown slot: one wins, the search then shows the next', async () => {
    const shown = (await nextOf(t, doc.id))!;
    const racers = await Promise.all([1, 2, 3].map(() => createUser(t, { role: 'patient' })));
    const results = await Promise.allSettled(
      racers.map((p) => initiate(t, p, { clinicianId: doc.id, startAt: shown.startAt })),
    );
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0)).sort();
    expect(statuses).toEqual([201, 409, 409]);
    expect(await nextOf(t, doc.id)).toEqual(online(0, '13:30', '14:00'));
  });

  test('a slot that has started is not offered: time moves the answer on', async () => {
    t.clock.set(t.clock.at(0, '13:40', IST));
    await renewTokens(t, patient, admin);
    expect(await nextOf(t, doc.id)).toEqual(online(0, '14:00', '14:30'));
  });

  test('time off is skipped, however long; nothing within the booking horizon (180 days) is null', async () => {
    const now = t.clock.now().getTime();
    const off = (fromDays: number, toDays: number) =>
      t.http.post(
        `/api/clinicians/${away.id}/time-off`,
        {
          startAt: new Date(now + fromDays * DAY).toISOString(),
          endAt: new Date(now + toDays * DAY).toISOString(),
        },
        { token: admin.token },
      );
    expect(await nextOf(t, away.id)).toEqual(online(0, '14:00', '14:30'));
    expect((await off(0, 150)).status).toBe(201);
    // Time off ends at 13:40 Kolkata time, 150 days on: the 14:00 slot that day is the next.
    expect(await nextOf(t, away.id)).toEqual(online(150, '14:00', '14:30'));
    expect((await off(150, 181)).status).toBe(201);
    expect(await nextOf(t, away.id)).toBeNull();
    expect(await nextOf(t, doc.id)).toEqual(online(0, '14:00', '14:30'));
  });

  test('a bad filter is a 400 problem', async () => {
    const res = await t.http.get('/api/clinicians?mode=teleport');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('the next available slot honours a short booking horizon', () => {
  let t: TestApp;
  let doc: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { BOOKING_HORIZON_DAYS: '2' } });
    const admin = await createUser(t, { role: 'admin' });
    doc = await createUser(t, { role: 'clinician', timeZone: IST });
    await setListing(t, admin, doc.id);
    // Only on the weekday four days from now (a Friday), 09:00-10:00.
    await setAvailability(t, admin, doc.id, [
      { weekday: t.clock.weekday(4, IST), start: '09:00', end: '10:00' },
    ]);
  });
  afterAll(() => t?.close());

  test('beyond the horizon is null; once the clock brings it within, it shows', async () => {
    expect(await nextOf(t, doc.id)).toBeNull();
    const listed = await t.http.get('/api/clinicians');
    expect(listed.body[0].bookingHorizonDays).toBe(2);
    t.clock.set(new Date(t.clock.now().getTime() + 2 * DAY));
    // Wednesday 11:30: the horizon ends Friday 11:30, so Friday 09:00 is bookable.
    expect(await nextOf(t, doc.id)).toMatchObject({
      startAt: t.clock.local(2, '09:00', IST),
      mode: 'online',
    });
  });
});
