import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookAndPay, bookingOf, catalogOf } from '../../../test/factories/booking.js';
import { createBookableClinician, setListing } from '../../../test/factories/catalog.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { IST } from '../../../test/support/clock.js';
import { waitFor } from '../../../test/support/wait.js';
import type { Pool } from '../../platform/db/pool.js';
import { createOccupancyEvents } from '../booking/index.js';
import type { Clinician } from '../catalog/index.js';
import { createSchedulingService } from './scheduling.service.js';

const DAY = 86_400_000;

/**
 * A second scheduling service on the app's database, as another instance would run it: its own
 * caches, booking's change feed through NOTIFY only, and counters on its reads.
 */
describe('next available slots for a page of clinicians', () => {
  let t: TestApp;
  let admin: TestUser;
  let page: Clinician[];
  let busy: TestUser;
  let quiet: TestUser;
  let idle: TestUser;
  const reads = { schedule: 0, occupancy: [] as string[][] };
  let service: ReturnType<typeof createSchedulingService>;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createUser(t, { role: 'admin' });
    busy = (await createBookableClinician(t, admin)).clinician;
    quiet = (await createBookableClinician(t, admin)).clinician;
    idle = await createUser(t, { role: 'clinician', timeZone: IST });
    await setListing(t, admin, idle.id);
    page = await catalogOf(t).getClinicians([busy.id, quiet.id, idle.id]);
    const pool = t.platform.pool;
    const counted = new Proxy(pool, {
      get(target, prop) {
        if (prop === 'query')
          return (...a: unknown[]) => {
            reads.schedule++;
            return (target.query as (...x: unknown[]) => unknown)(...a);
          };
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Pool;
    const booking = bookingOf(t);
    service = createSchedulingService({
      ...t.platform,
      pool: counted,
      catalog: catalogOf(t),
      occupancy: booking.listOccupancy,
      occupancyOf: async (ids, ...rest) => {
        reads.occupancy.push(ids);
        return booking.listOccupancyOf(ids, ...rest);
      },
      watchOccupancy: createOccupancyEvents(t.platform.listener).watch,
    });
  });
  afterAll(() => t?.close());

  const reset = () => {
    reads.schedule = 0;
    reads.occupancy = [];
  };
  const startOf = async (id: string) => (await service.nextAvailableSlots(page)).get(id)?.startAt ?? null;

  test('a page costs one schedule read per table and one occupancy read, whatever its size', async () => {
    reset();
    const next = await service.nextAvailableSlots(page);
    expect(next.get(busy.id)).toEqual({
      startAt: t.clock.local(0, '12:00', IST),
      endAt: t.clock.local(0, '12:30', IST),
      mode: 'online',
      centreId: null,
    });
    expect(next.get(quiet.id)?.startAt).toBe(t.clock.local(0, '12:00', IST));
    expect(next.get(idle.id)).toBeNull();
    expect(reads.schedule).toBe(2); // rules, time off
    // The clinician without availability is not asked about.
    expect(reads.occupancy).toHaveLength(1);
    expect(new Set(reads.occupancy[0])).toEqual(new Set([busy.id, quiet.id]));
  });

  test('once the change feed is up, a repeated page reads nothing', async () => {
    // The first request starts the watch; answers are kept from then on.
    await waitFor(
      async () => {
        reset();
        await service.nextAvailableSlots(page);
        return reads.schedule + reads.occupancy.length;
      },
      (n) => n === 0,
      { what: 'a page served from the cache' },
    );
  });

  test('parallel requests for the same page share one search (real parallel calls)', async () => {
    reset();
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map(() => service.nextAvailableSlots(page, { mode: 'online' })),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const starts = results.map((r) => (r.status === 'fulfilled' ? r.value.get(busy.id)?.startAt : null));
    expect(new Set(starts)).toEqual(new Set([t.clock.local(0, '12:00', IST)]));
    expect(reads.occupancy).toHaveLength(1);
  });

  test("another instance's booking reaches this one through NOTIFY and moves the answer", async () => {
    const patient = await createUser(t, { role: 'patient' });
    await bookAndPay(t, patient, busy.id, t.clock.at(0, '12:00', IST).toISOString());
    const moved = await waitFor(
      () => startOf(busy.id),
      (s) => s !== t.clock.local(0, '12:00', IST),
      { what: 'the booked slot to leave the answer' },
    );
    expect(moved).toBe(t.clock.local(0, '12:30', IST));
  });

  test('a clinician away for the whole horizon costs five reads of growing windows, not one per day', async () => {
    const now = t.clock.now().getTime();
    // Written through this instance: its caches forget at once.
    await service.addTimeOff({ userId: admin.id, role: 'admin', sessionId: 'test' }, quiet.id, {
      startAt: new Date(now),
      endAt: new Date(now + 200 * DAY),
    });
    reset();
    expect((await service.nextAvailableSlots(page)).get(quiet.id)).toBeNull();
    expect(reads.occupancy.filter((ids) => ids.includes(quiet.id))).toHaveLength(5);
  });
});
