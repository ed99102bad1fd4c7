import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createBookableClinician } from '../../../test/factories/catalog.js';
import { createUser } from '../../../test/factories/identity.js';
import { occupancyOfEach } from '../../../test/factories/scheduling.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { IST } from '../../../test/support/clock.js';
import { waitFor } from '../../../test/support/wait.js';
import type { CatalogModule } from '../catalog/index.js';
import type { OccupancyWatch } from './scheduling.cache.js';
import type { Occupied } from './scheduling.rules.js';
import { createSchedulingService, type OccupancyPort, type SchedulingService } from './scheduling.service.js';

/**
 * Concurrent misses of one listing share one build, under the cache's own rules: never across a
 * change booking reported, never past the instant the shared result stops being valid, never while
 * the change feed is down. Booking's occupancy port is replaced by one the test answers by hand.
 */
describe('slot listing builds shared by concurrent requests', () => {
  let t: TestApp;
  let doc: { id: string };
  let calls: number;
  let answers: Array<(o: Occupied[]) => void>;
  let onChange: ((clinicianId: string) => void) | undefined;
  /** Tomorrow in Kolkata (the test clock is at 11:30 there): rules from 09:00 to 12:00, 6 slots. */
  let day: string;
  let at: (time: string) => Date;

  /** A scheduling service whose occupancy reads wait for the test; the feed as `watch` says. */
  const service = (watch: OccupancyWatch): SchedulingService => {
    const occupancy: OccupancyPort = () => {
      calls++;
      return new Promise((resolve) => answers.push(resolve));
    };
    return createSchedulingService({
      ...t.platform,
      catalog: (t.modules.find((m) => m.name === 'catalog') as CatalogModule).service,
      occupancy,
      occupancyOf: occupancyOfEach(occupancy),
      watchOccupancy: watch,
    });
  };
  const liveFeed: OccupancyWatch = async (w) => {
    onChange = w.onChange;
    return () => {};
  };
  const list = (s: SchedulingService) => s.listSlotsJson(doc.id, { from: day, to: day });
  const statuses = (body: Buffer) =>
    (JSON.parse(body.toString('utf8')) as { slots: Array<{ status: string }> }).slots.map((x) => x.status);
  const answerAll = (o: Occupied[]) => {
    for (const answer of answers.splice(0)) answer(o);
  };
  const tick = () => new Promise((r) => setImmediate(r));
  /** Waits for requests to reach the occupancy read (catalog's read, from the database, comes first). */
  const until = async (n: number) => {
    await waitFor(
      () => calls,
      (c) => c >= n,
      { withinMs: 10_000, everyMs: 1, what: `${n} occupancy reads` },
    );
    expect(calls).toBe(n);
  };
  /** The first listing starts the feed (and is not stored); once the feed is on, listings are cached. */
  const warm = async (s: SchedulingService) => {
    const first = list(s);
    await until(1);
    answerAll([]);
    await first;
    await tick();
    calls = 0;
  };

  beforeAll(async () => {
    t = await startTestApp();
    day = t.clock.day(1, IST);
    at = (time) => {
      const [h, m] = time.split(':').map(Number);
      return new Date(Date.parse(`${day}T00:00:00+05:30`) + (h! * 60 + m!) * 60_000);
    };
    const admin = await createUser(t, { role: 'admin' });
    const made = await createBookableClinician(t, admin, {
      rules: [{ weekday: t.clock.weekday(1, IST), start: '09:00', end: '12:00', slotMinutes: 30 }],
    });
    doc = made.clinician;
  });
  afterAll(() => t?.close());
  afterEach(() => t.clock.reset());
  beforeEach(() => {
    calls = 0;
    answers = [];
    onChange = undefined;
  });

  test('twenty concurrent misses make one occupancy read and get the same reply; the next is a hit', async () => {
    const s = service(liveFeed);
    await warm(s);
    const replies = Array.from({ length: 20 }, () => list(s));
    await until(1);
    await tick();
    expect(calls).toBe(1);
    const held: Occupied[] = [{ startAt: at('09:00'), endAt: at('09:30'), status: 'held' }];
    answerAll(held);
    const bodies = await Promise.all(replies);
    expect(new Set(bodies.map((b) => b.toString('utf8'))).size).toBe(1);
    expect(statuses(bodies[0]!)[0]).toBe('held');
    expect(statuses(await list(s))[0]).toBe('held');
    expect(calls).toBe(1);
  });

  test('a request after a change does not join a build that began before it', async () => {
    const s = service(liveFeed);
    await warm(s);
    const before = list(s);
    await until(1);
    onChange!(doc.id);
    const after = list(s);
    await until(2);
    const [stale, fresh] = answers.splice(0);
    stale!([]);
    fresh!([{ startAt: at('09:00'), endAt: at('09:30'), status: 'booked' }]);
    expect(statuses(await before)[0]).toBe('available');
    expect(statuses(await after)[0]).toBe('booked');
    // The build that began before the change was not stored; the one after it was.
    expect(statuses(await list(s))[0]).toBe('booked');
    expect(calls).toBe(2);
  });

  test('a shared result is not taken past the instant it stops being valid', async () => {
    const s = service(liveFeed);
    await warm(s);
    // Today in Kolkata has no rules; tomorrow's first slot is 09:00. Move the clock just before it.
    t.clock.set(at('08:59'));
    const early = list(s);
    await until(1);
    t.clock.set(at('09:01'));
    const late = list(s);
    await until(1);
    answerAll([]);
    expect(statuses(await early)).toHaveLength(6);
    await until(2);
    answerAll([]);
    // 09:00 has started: the late request built its own listing without it.
    expect(statuses(await late)).toHaveLength(5);
  });

  test('while the change feed is down, every request reads for itself', async () => {
    const s = service(async () => {
      throw new Error('no LISTEN connection');
    });
    await warm(s);
    const replies = Array.from({ length: 5 }, () => list(s));
    await until(5);
    answerAll([]);
    expect((await Promise.all(replies)).every((b) => statuses(b).length === 6)).toBe(true);
  });
});
