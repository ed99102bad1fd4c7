import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookableClinician, initiate, localSlot } from './factories/booking.js';
import { createUser, type TestUser } from './factories/identity.js';
import { startTestApp, type TestApp } from './support/app.js';
import { settle, waitFor } from './support/wait.js';

/**
 * The slot listing cache: two instances on one database. A change written without telling anyone
 * (triggers off) shows whether a listing came from the cache; a real booking on the other instance
 * shows that booking's change feed (trigger, NOTIFY, LISTEN) reaches it.
 */
describe('slot listing cache across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let doc: Awaited<ReturnType<typeof bookableClinician>>;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ databaseUrl: a.platform.config.db.url, clock: a.clock });
    doc = await bookableClinician(a, { timeZone: 'Europe/London' });
    alice = await createUser(a, { role: 'patient' });
    bob = await createUser(a, { role: 'patient' });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const statusOn = async (t: TestApp, startAt: string) => {
    const day = new Date(startAt).toISOString().slice(0, 10);
    const res = await t.http.get(`/api/clinicians/${doc.id}/slots?from=${day}&to=${day}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return res.body.slots.find((s: { startAt: string }) => Date.parse(s.startAt) === Date.parse(startAt))
      ?.status as string | undefined;
  };

  /** The slot's status in the one-date search across clinicians (`/api/slots`). */
  const searchStatusOn = async (t: TestApp, startAt: string) => {
    const day = DateTime.fromISO(startAt, { zone: doc.timeZone }).toISODate();
    const res = await t.http.get(`/api/slots?date=${day}`);
    expect(res.status).toBe(200);
    const mine = res.body.find((r: { clinician: { id: string } }) => r.clinician.id === doc.id);
    return mine?.slots.find((s: { startAt: string }) => Date.parse(s.startAt) === Date.parse(startAt))
      ?.status as string | undefined;
  };

  /** Marks an appointment booked without firing its triggers: no instance hears of it. */
  const silentlyConfirm = async (appointmentId: string) => {
    const c = await a.platform.pool.connect();
    try {
      await c.query('begin');
      await c.query('set local session_replication_role = replica');
      await c.query(`update appointments set status = 'CONFIRMED' where id = $1`, [appointmentId]);
      await c.query('commit');
    } finally {
      c.release();
    }
  };

  /**
   * Resolves once `t` LISTENs on booking's change feed (the listener resolves a subscription only
   * then, and the cache's own subscription resolved with it), then lets the cache switch itself on.
   */
  const feedLive = async (t: TestApp) => {
    const unsubscribe = await t.platform.listener.subscribe('booking_occupancy', {
      onMessage: () => {},
      onLost: () => {},
    });
    unsubscribe();
    await settle();
  };

  /** Warms `t`'s cache for the slot: the first listing starts the change feed, the next ones are stored. */
  const warm = async (t: TestApp, startAt: string, expected: string) => {
    expect(await statusOn(t, startAt)).toBe(expected);
    await feedLive(t);
    expect(await statusOn(t, startAt)).toBe(expected);
  };

  const eventually = async (read: () => Promise<unknown>, expected: unknown, withinMs = 3_000) => {
    const last = await waitFor(read, (v) => v === expected, { withinMs, everyMs: 50 }).catch(() => read());
    expect(last).toBe(expected);
  };

  test("a listing is served from the cache until booking's change feed says the clinician changed", async () => {
    const first = localSlot(a, 'Europe/London', 3, '10:00');
    const second = localSlot(a, 'Europe/London', 3, '11:00');
    const held = await initiate(a, alice, { clinicianId: doc.id, startAt: first });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    await warm(b, first, 'held');

    await silentlyConfirm(held.body.appointment.id);
    // Nobody was told: b still serves what it cached; a fresh computation sees the truth.
    expect(await statusOn(b, first)).toBe('held');

    // A real booking of another slot of this clinician, on the other instance, invalidates b's listing
    // (well within the cache's 5 s age limit, so it is the NOTIFY that does it).
    const other = await initiate(a, bob, { clinicianId: doc.id, startAt: second });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    await eventually(() => statusOn(b, first), 'booked');
    expect(await statusOn(b, second)).toBe('held');
  });

  test('the search across clinicians is cached the same way', async () => {
    const first = localSlot(a, 'Europe/London', 6, '10:00');
    const second = localSlot(a, 'Europe/London', 6, '11:00');
    const held = await initiate(a, alice, { clinicianId: doc.id, startAt: first });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect(await searchStatusOn(b, first)).toBe('held');
    await feedLive(b);
    expect(await searchStatusOn(b, first)).toBe('held');

    await silentlyConfirm(held.body.appointment.id);
    expect(await searchStatusOn(b, first)).toBe('held');
    const other = await initiate(a, bob, { clinicianId: doc.id, startAt: second });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    await eventually(() => searchStatusOn(b, first), 'booked');
    expect(await searchStatusOn(b, second)).toBe('held');
  });

  test('an instance always sees its own booking at once', async () => {
    const startAt = localSlot(a, 'Europe/London', 4, '10:00');
    await warm(b, startAt, 'available');
    const held = await initiate(b, alice, { clinicianId: doc.id, startAt });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect(await statusOn(b, startAt)).toBe('held');
  });

  test('a lost change feed drops the cache: it can cost speed, never freshness', async () => {
    const startAt = localSlot(a, 'Europe/London', 5, '10:00');
    const held = await initiate(a, bob, { clinicianId: doc.id, startAt });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    await warm(b, startAt, 'held');

    await a.platform.pool.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and query like 'listen %' and pid <> pg_backend_pid()`,
    );
    await silentlyConfirm(held.body.appointment.id);
    await eventually(() => statusOn(b, startAt), 'booked');
  });
});
