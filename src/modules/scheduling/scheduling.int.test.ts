import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createBookableClinician, setListing } from '../../../test/factories/catalog.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import type { CatalogModule } from '../catalog/index.js';
import type { SchedulingModule } from './index.js';
import type { Occupied } from './scheduling.rules.js';
import { createSchedulingService, type SchedulingService } from './scheduling.service.js';

describe('scheduling service', () => {
  let t: TestApp;
  let admin: TestUser;
  let scheduling: SchedulingService;
  let doc: { id: string };
  let centreId: string;

  beforeAll(async () => {
    // Monday 2030-01-07 06:00 UTC = 11:30 in Kolkata.
    t = await startTestApp();
    admin = await createUser(t, { role: 'admin' });
    scheduling = (t.modules.find((m) => m.name === 'scheduling') as SchedulingModule).service;
    const made = await createBookableClinician(t, admin, { inPerson: true, rules: [] });
    doc = made.clinician;
    centreId = made.centre!.id;
    await t.http.put(
      `/api/clinicians/${doc.id}/availability`,
      [
        { weekday: 1, start: '09:00', end: '13:00', mode: 'online', slotMinutes: 30 },
        { weekday: 2, start: '14:00', end: '16:00', mode: 'in_person', centreId, slotMinutes: 60 },
      ],
      { token: admin.token },
    );
  });
  afterAll(() => t?.close());

  describe('findSlot', () => {
    test.each<[string, string, 'online' | 'in_person', object | null]>([
      [
        'an offered online slot',
        '2030-01-07T07:00:00Z',
        'online',
        {
          startAt: new Date('2030-01-07T07:00:00Z'),
          endAt: new Date('2030-01-07T07:30:00Z'),
          mode: 'online',
          centreId: null,
        },
      ],
      ['the same time in another mode', '2030-01-07T07:00:00Z', 'in_person', null],
      ['not on a slot boundary', '2030-01-07T07:10:00Z', 'online', null],
      ['a slot that has started', '2030-01-07T05:30:00Z', 'online', null],
      ['outside the rules', '2030-01-07T08:00:00Z', 'online', null],
      [
        'an in-person slot carries its centre',
        '2030-01-08T08:30:00Z',
        'in_person',
        {
          startAt: new Date('2030-01-08T08:30:00Z'),
          endAt: new Date('2030-01-08T09:30:00Z'),
          mode: 'in_person',
          centreId: 'CENTRE',
        },
      ],
      [
        'a week later, the rules repeat',
        '2030-01-14T03:30:00Z',
        'online',
        {
          startAt: new Date('2030-01-14T03:30:00Z'),
          endAt: new Date('2030-01-14T04:00:00Z'),
          mode: 'online',
          centreId: null,
        },
      ],
    ])('%s', async (_name, at, mode, expected) => {
      const slot = await scheduling.findSlot({ clinicianId: doc.id, startAt: new Date(at), mode });
      expect(slot).toEqual(
        expected && {
          ...expected,
          ...('centreId' in expected && expected.centreId === 'CENTRE' ? { centreId } : {}),
        },
      );
    });

    test('time off and unlisting take a slot away', async () => {
      const at = new Date('2030-01-14T04:00:00Z');
      const other = await createBookableClinician(t, admin, {
        rules: [{ weekday: 1, start: '09:00', end: '12:00', slotMinutes: 30 }],
      });
      const id = other.clinician.id;
      expect(await scheduling.findSlot({ clinicianId: id, startAt: at, mode: 'online' })).not.toBeNull();
      const off = await t.http.post(
        `/api/clinicians/${id}/time-off`,
        { startAt: '2030-01-14T03:45:00Z', endAt: '2030-01-14T04:15:00Z' },
        { token: other.clinician.token },
      );
      expect(off.status).toBe(201);
      expect(await scheduling.findSlot({ clinicianId: id, startAt: at, mode: 'online' })).toBeNull();
      const later = new Date('2030-01-14T05:00:00Z');
      expect(await scheduling.findSlot({ clinicianId: id, startAt: later, mode: 'online' })).not.toBeNull();
      await setListing(t, admin, id, { isListed: false });
      expect(await scheduling.findSlot({ clinicianId: id, startAt: later, mode: 'online' })).toBeNull();
    });

    test('an unknown clinician or an invalid date finds nothing', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect(
        await scheduling.findSlot({
          clinicianId: unknown,
          startAt: new Date('2030-01-14T03:30:00Z'),
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
      { startAt: new Date('2030-01-14T03:30:00Z'), endAt: new Date('2030-01-14T04:00:00Z'), status: 'held' },
      {
        startAt: new Date('2030-01-14T04:15:00Z'),
        endAt: new Date('2030-01-14T04:45:00Z'),
        status: 'booked',
      },
    ];
    const catalog = (t.modules.find((m) => m.name === 'catalog') as CatalogModule).service;
    const withBookings = createSchedulingService({
      ...t.platform,
      catalog,
      occupancy: async (...args) => {
        calls.push(args);
        return occupied;
      },
    });
    const res = await withBookings.listSlots(doc.id, {
      from: '2030-01-14',
      to: '2030-01-14',
      mode: 'online',
    });
    expect(res.slots.slice(0, 4).map((s) => [s.startAt, s.status])).toEqual([
      ['2030-01-14T09:00:00+05:30', 'held'],
      ['2030-01-14T09:30:00+05:30', 'booked'],
      ['2030-01-14T10:00:00+05:30', 'booked'],
      ['2030-01-14T10:30:00+05:30', 'available'],
    ]);
    // One occupancy call for the whole window, with the clock's now.
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toBe(doc.id);
    expect(calls[0]![1].getTime()).toBeLessThanOrEqual(new Date('2030-01-13T18:30:00Z').getTime());
    expect(calls[0]![2].getTime()).toBeGreaterThanOrEqual(new Date('2030-01-14T18:30:00Z').getTime());
    expect(calls[0]![3]).toEqual(t.clock.now());
  });

  test('without booking wired, every slot is available', async () => {
    const res = await scheduling.listSlots(doc.id, { from: '2030-01-14', to: '2030-01-14' });
    expect(res.slots.every((s) => s.status === 'available')).toBe(true);
    expect(res.slots).toHaveLength(8);
  });

  test('on-call clinicians follow their shifts in their own zone', async () => {
    const res = await t.http.put(
      `/api/clinicians/${doc.id}/shifts`,
      [{ weekday: 1, start: '20:00', end: '23:00' }],
      {
        token: admin.token,
      },
    );
    expect(res.status).toBe(200);
    expect(await scheduling.listOnCallClinicians(new Date('2030-01-07T15:00:00Z'))).toEqual([doc.id]);
    expect(await scheduling.listOnCallClinicians(new Date('2030-01-07T18:00:00Z'))).toEqual([]);
  });
});
