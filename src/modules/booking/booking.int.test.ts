import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { sqlStateOf } from '../../platform/db/uow.js';
import { appointmentsRepository, isOverlapViolation, type NewAppointment } from './booking.repository.js';

const MIN = 60_000;

describe('appointments table: no double booking (DB level)', () => {
  let t: TestApp;
  let doc: TestUser;
  let otherDoc: TestUser;
  const patients: TestUser[] = [];
  let base: number;

  beforeAll(async () => {
    t = await startTestApp();
    doc = await createUser(t, { role: 'clinician' });
    otherDoc = await createUser(t, { role: 'clinician' });
    for (let i = 0; i < 20; i++) patients.push(await createUser(t, { role: 'patient' }));
    base = t.clock.now().getTime() + 3 * 86_400_000;
  });
  afterAll(() => t?.close());

  const row = (over: Partial<NewAppointment> & { at: number; minutes: number }): NewAppointment => {
    const now = t.clock.now();
    return {
      patientId: patients[0]!.id,
      clinicianId: doc.id,
      centreId: null,
      mode: 'online',
      startsAt: new Date(base + over.at * MIN),
      endsAt: new Date(base + (over.at + over.minutes) * MIN),
      status: 'PENDING_PAYMENT',
      holdExpiresAt: new Date(now.getTime() + 15 * MIN),
      remindAt: null,
      priceMinor: 50000,
      currency: 'INR',
      planCode: 'standard',
      bookedByUserId: patients[0]!.id,
      source: 'WEB_PATIENT',
      now,
      ...over,
    };
  };
  const insert = (r: NewAppointment) => t.platform.uow((tx) => appointmentsRepository(tx.db).insert(r));
  const count = async (where: string, values: unknown[]) =>
    Number(
      (await t.platform.pool.query(`select count(*) from appointments where ${where}`, values)).rows[0].count,
    );

  test('overlapping slots of different lengths cannot both be held', async () => {
    await insert(row({ at: 0, minutes: 30 }));
    const err = await insert(row({ at: 15, minutes: 60, patientId: patients[1]!.id })).catch((e) => e);
    expect(isOverlapViolation(err)).toBe(true);
    const err2 = await insert(row({ at: -45, minutes: 60, status: 'CONFIRMED', holdExpiresAt: null })).catch(
      (e) => e,
    );
    expect(isOverlapViolation(err2)).toBe(true);
    expect(await count('clinician_id = $1', [doc.id])).toBe(1);
  });

  test('back-to-back slots, other clinicians and dead rows do not conflict', async () => {
    await insert(row({ at: 30, minutes: 30 }));
    await insert(row({ at: -15, minutes: 15, status: 'CONFIRMED', holdExpiresAt: null }));
    await insert(row({ at: 0, minutes: 30, clinicianId: otherDoc.id }));
    for (const status of ['EXPIRED', 'CANCELLED', 'COMPLETED', 'NO_SHOW'] as const)
      await insert(row({ at: 0, minutes: 30, status }));
    expect(await count('clinician_id = $1', [doc.id])).toBe(7);
  });

  test('a lapsed but unswept hold blocks the constraint until it is marked EXPIRED', async () => {
    const lapsed = await insert(
      row({ at: 600, minutes: 30, holdExpiresAt: new Date(t.clock.now().getTime() - 1) }),
    );
    const blocked = await insert(row({ at: 600, minutes: 30, patientId: patients[1]!.id })).catch((e) => e);
    expect(isOverlapViolation(blocked)).toBe(true);
    const taken = await t.platform.uow(async (tx) => {
      const repo = appointmentsRepository(tx.db);
      const now = t.clock.now();
      const expired = await repo.expireLapsedOverlapping({
        clinicianId: doc.id,
        from: new Date(base + 600 * MIN),
        to: new Date(base + 630 * MIN),
        now,
      });
      expect(expired).toEqual([lapsed!.id]);
      return repo.insert(row({ at: 600, minutes: 30, patientId: patients[1]!.id }));
    });
    expect(taken!.status).toBe('PENDING_PAYMENT');
    expect(
      (await appointmentsRepository(drizzle(t.platform.pool, { casing: 'snake_case' })).findById(lapsed!.id))!
        .status,
    ).toBe('EXPIRED');
  });

  test('20 parallel holds of one slot by different patients: exactly one row', async () => {
    const results = await Promise.allSettled(
      patients.map((p) => insert(row({ at: 1200, minutes: 30, patientId: p.id, bookedByUserId: p.id }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(isOverlapViolation(r.reason)).toBe(true);
    expect(await count('clinician_id = $1 and starts_at = $2', [doc.id, new Date(base + 1200 * MIN)])).toBe(
      1,
    );
  });

  test('constraints reject unknown statuses, empty ranges and holds without expiry', async () => {
    for (const bad of [
      row({ at: 2000, minutes: 30, status: 'BOOKED' as never }),
      row({ at: 2000, minutes: 0 }),
      row({ at: 2000, minutes: 30, holdExpiresAt: null }),
      row({ at: 2000, minutes: 30, priceMinor: -1 }),
    ]) {
      const err = await insert(bad).catch((e) => e);
      // Drizzle wraps the pg error; its SQLSTATE is on `cause`.
      expect(sqlStateOf(err)).toBe('23514');
    }
  });

  test('occupancy lists live holds as held and confirmed/completed as booked', async () => {
    const from = new Date(base + 3000 * MIN);
    const now = t.clock.now();
    await insert(row({ at: 3000, minutes: 30 }));
    await insert(row({ at: 3030, minutes: 30, status: 'CONFIRMED', holdExpiresAt: null }));
    await insert(row({ at: 3060, minutes: 30, status: 'COMPLETED', holdExpiresAt: null }));
    await insert(row({ at: 3090, minutes: 30, holdExpiresAt: now }));
    await insert(row({ at: 3120, minutes: 30, status: 'CANCELLED' }));
    const occ = await appointmentsRepository(
      drizzle(t.platform.pool, { casing: 'snake_case' }),
    ).listOccupancy(doc.id, from, new Date(base + 3200 * MIN), now);
    expect(occ.map((o) => [(o.startAt.getTime() - from.getTime()) / MIN, o.status])).toEqual([
      [0, 'held'],
      [30, 'booked'],
      [60, 'booked'],
    ]);
  });

  test('two sweepers at once expire each lapsed hold exactly once', async () => {
    const now = t.clock.now();
    const lapsed: string[] = [];
    for (let i = 0; i < 6; i++)
      lapsed.push(
        (await insert(
          row({ at: 5000 + 30 * i, minutes: 30, holdExpiresAt: new Date(now.getTime() - 10 * MIN) }),
        ))!.id,
      );
    const sweep = () => t.platform.uow((tx) => appointmentsRepository(tx.db).expireLapsedHolds(now, 4));
    const results = await Promise.all([sweep(), sweep(), sweep()]);
    const swept = results.flat();
    expect(new Set(swept).size).toBe(swept.length);
    const rest = await sweep();
    expect([...swept, ...rest].filter((id) => lapsed.includes(id)).sort()).toEqual([...lapsed].sort());
  });

  test('the sweepers expire lapsed holds and mark ended confirmed ones NO_SHOW awaiting review', async () => {
    const now = t.clock.now();
    const lapsed = await insert(row({ at: 4000, minutes: 30, holdExpiresAt: new Date(now.getTime() - MIN) }));
    const ended = await insert(
      row({
        at: 0,
        minutes: 30,
        clinicianId: otherDoc.id,
        status: 'CONFIRMED',
        holdExpiresAt: null,
        startsAt: new Date(now.getTime() - 120 * MIN),
        endsAt: new Date(now.getTime() - 90 * MIN),
      }),
    );
    const [expired, noShows] = await t.platform.uow(async (tx) => {
      const repo = appointmentsRepository(tx.db);
      return [
        await repo.expireLapsedHolds(now, 100),
        await repo.markNoShows(new Date(now.getTime() - 60 * MIN), now, 100),
      ];
    });
    expect(expired).toContain(lapsed!.id);
    expect(noShows).toEqual([ended!.id]);
    const after = await appointmentsRepository(drizzle(t.platform.pool, { casing: 'snake_case' })).findById(
      ended!.id,
    );
    expect(after).toMatchObject({ status: 'NO_SHOW', noShowReview: true });
  });
});
