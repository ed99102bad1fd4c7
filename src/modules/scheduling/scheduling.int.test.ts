import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createBookableClinician, setListing } from '../../../test/factories/catalog.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { occupancyOfEach } from '../../../test/factories/scheduling.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { IST } from '../../../test/support/clock.js';
import type { CatalogModule } from '../catalog/index.js';
import type { SchedulingModule } from './index.js';
import type { Occupied } from './scheduling.rules.js';
import { createSchedulingService, type OccupancyPort, type SchedulingService } from './scheduling.service.js';

describe('scheduling service', () => {
  let t: TestApp;
  let admin: TestUser;
  let scheduling: SchedulingService;
  let doc: { id: string };
  let centreId: string;
  /** An instant at Kolkata time `days` after the test clock's today. */
  const ist = (days: number, time: string) => t.clock.at(days, time, IST);

  beforeAll(async () => {
    // The test clock is at 11:30 in Kolkata; rules for today (online) and tomorrow (in person).
    t = await startTestApp();
    admin = await createUser(t, { role: 'admin' });
    scheduling = (t.modules.find((m) => m.name === 'scheduling') as SchedulingModule).service;
    const made = await createBookableClinician(t, admin, { inPerson: true, rules: [] });
    doc = made.clinician;
    centreId = made.centre!.id;
    await t.http.put(
      `/api/clinicians/${doc.id}/availability`,
      [
        { weekday: t.clock.weekday(0, IST), start: '09:00', end: '13:00', mode: 'online', slotMinutes: 30 },
        {
          weekday: t.clock.weekday(1, IST),
          start: '14:00',
          end: '16:00',
          mode: 'in_person',
          centreId,
          slotMinutes: 60,
        },
      ],
      { token: admin.token },
    );
  });
  afterAll(() => t?.close());

  describe('findSlot', () => {
    type Expected = { endsAt: string; atCentre?: boolean } | null;
    // [name, days after today, Kolkata time, mode, expected slot]
    test.each<[string, number, string, 'online' | 'in_person', Expected]>([
      ['an offered online slot', 0, '12:30', 'online', { endsAt: '13:00' }],
      ['the same time in another mode', 0, '12:30', 'in_person', null],
      ['not on a slot boundary', 0, '12:40', 'online', null],
      ['a slot that has started', 0, '11:00', 'online', null],
      ['outside the rules', 0, '13:30', 'online', null],
      ['an in-person slot carries its centre', 1, '14:00', 'in_person', { endsAt: '15:00', atCentre: true }],
      ['a week later, the rules repeat', 7, '09:00', 'online', { endsAt: '09:30' }],
    ])('%s', async (_name, days, time, mode, expected) => {
      const slot = await scheduling.findSlot({ clinicianId: doc.id, startAt: ist(days, time), mode });
      expect(slot).toEqual(
        expected && {
          startAt: ist(days, time),
          endAt: ist(days, expected.endsAt),
          mode,
          centreId: expected.atCentre ? centreId : null,
          // The clinician read fresh for the slot comes back too (a booking takes its fee from it).
          clinician: expect.objectContaining({ id: doc.id, modes: expect.arrayContaining([mode]) }),
        },
      );
    });

    test('time off and unlisting take a slot away', async () => {
      const at = ist(7, '09:30');
      const other = await createBookableClinician(t, admin, {
        rules: [{ weekday: t.clock.weekday(7, IST), start: '09:00', end: '12:00', slotMinutes: 30 }],
      });
      const id = other.clinician.id;
      expect(await scheduling.findSlot({ clinicianId: id, startAt: at, mode: 'online' })).not.toBeNull();
      const off = await t.http.post(
        `/api/clinicians/${id}/time-off`,
        { startAt: ist(7, '09:15').toISOString(), endAt: ist(7, '09:45').toISOString() },
        { token: other.clinician.token },
      );
      expect(off.status).toBe(201);
      expect(await scheduling.findSlot({ clinicianId: id, startAt: at, mode: 'online' })).toBeNull();
      const later = ist(7, '10:30');
      expect(await scheduling.findSlot({ clinicianId: id, startAt: later, mode: 'online' })).not.toBeNull();
      await setListing(t, admin, id, { isListed: false });
      expect(await scheduling.findSlot({ clinicianId: id, startAt: later, mode: 'online' })).toBeNull();
    });

    test('an unknown clinician or an invalid date finds nothing', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect(
        await scheduling.findSlot({
          clinicianId: unknown,
          startAt: ist(7, '09:00'),
          mode: 'online',
        }),
      ).toBeNull();
      expect(
        await scheduling.findSlot({ clinicianId: doc.id, startAt: new Date('nope'), mode: 'online' }),
      ).toBeNull();
    });
  });

  test('slot status comes from the occupancy port: held and booked, overlapping ranges included', async () => {
    const calls: Array<[string, Date, Date, Date]> = [];
    const occupied: Occupied[] = [
      { startAt: ist(7, '09:00'), endAt: ist(7, '09:30'), status: 'held' },
      { startAt: ist(7, '09:45'), endAt: ist(7, '10:15'), status: 'booked' },
    ];
    const catalog = (t.modules.find((m) => m.name === 'catalog') as CatalogModule).service;
    const occupancy: OccupancyPort = async (...args) => {
      calls.push(args);
      return occupied;
    };
    const withBookings = createSchedulingService({
      ...t.platform,
      catalog,
      occupancy,
      occupancyOf: occupancyOfEach(occupancy),
    });
    const res = await withBookings.listSlots(doc.id, {
      from: t.clock.day(7, IST),
      to: t.clock.day(7, IST),
      mode: 'online',
    });
    expect(res.slots.slice(0, 4).map((s) => [s.startAt, s.status])).toEqual([
      [t.clock.local(7, '09:00', IST), 'held'],
      [t.clock.local(7, '09:30', IST), 'booked'],
      [t.clock.local(7, '10:00', IST), 'booked'],
      [t.clock.local(7, '10:30', IST), 'available'],
    ]);
    // One occupancy call for the whole window, with the clock's now.
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toBe(doc.id);
    expect(calls[0]![1].getTime()).toBeLessThanOrEqual(ist(7, '00:00').getTime());
    expect(calls[0]![2].getTime()).toBeGreaterThanOrEqual(ist(8, '00:00').getTime());
    expect(calls[0]![3]).toEqual(t.clock.now());
  });

  test('without booking wired, every slot is available', async () => {
    const res = await scheduling.listSlots(doc.id, { from: t.clock.day(7, IST), to: t.clock.day(7, IST) });
    expect(res.slots.every((s) => s.status === 'available')).toBe(true);
    expect(res.slots).toHaveLength(8);
  });

  test('on-call clinicians follow their shifts in their own zone', async () => {
    const res = await t.http.put(
      `/api/clinicians/${doc.id}/shifts`,
      [{ weekday: t.clock.weekday(0, IST), start: '20:00', end: '23:00' }],
      {
        token: admin.token,
      },
    );
    expect(res.status).toBe(200);
    expect(await scheduling.listOnCallClinicians(ist(0, '20:30'))).toEqual([doc.id]);
    expect(await scheduling.listOnCallClinicians(ist(0, '23:30'))).toEqual([]);
  });
});
