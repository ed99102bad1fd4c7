import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bookAndPay,
  bookableClinician,
  bookingOf,
  catalogOf,
  initiate,
  localSlot,
  renewTokens,
} from '../../../test/factories/booking.js';
import { createUser } from '../../../test/factories/identity.js';
import { startTestApp } from '../../../test/support/app.js';
import { markNoShowsJob } from './booking.jobs.js';

const ZONE = 'Asia/Kolkata';
const MIN = 60_000;
const HOUR = 60 * MIN;

async function setup(env: Record<string, string> = {}) {
  const t = await startTestApp({ env });
  const doc = await bookableClinician(t, { timeZone: ZONE, feeMinor: 50_000 });
  const alice = await createUser(t, { role: 'patient' });
  const bob = await createUser(t, { role: 'patient' });
  const admin = await createUser(t, { role: 'admin' });
  const slot = (days: number, hhmm: string) => localSlot(t, ZONE, days, hhmm);
  const rows = async (sql: string, values: unknown[]) => (await t.platform.pool.query(sql, values)).rows;
  const moveTo = async (at: number) => {
    t.clock.set(new Date(at));
    await renewTokens(t, doc, alice, bob, admin);
  };
  return { t, doc, alice, bob, admin, slot, rows, moveTo };
}

describe('cancel and reminders', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup();
  });
  afterAll(() => s?.t.close());

  test('cancel at 24 h - 1 min is refused; at 24 h + 1 min it is cancelled with a full refund; reminders follow', async () => {
    const { t, doc, alice, slot, rows, moveTo } = s;
    const a = await bookAndPay(t, alice, doc.id, slot(3, '09:00'));
    const b = await bookAndPay(t, alice, doc.id, slot(3, '10:00'));
    const startA = new Date(a.startAt).getTime();
    const startB = new Date(b.startAt).getTime();

    // Reminder jobs are due exactly REMINDER_HOURS_BEFORE the start.
    const jobs = await rows(
      `select data->>'appointmentId' as id, start_after from pgboss.job where name = 'booking.remind' order by start_after`,
      [],
    );
    expect(jobs.map((j) => [j.id, new Date(j.start_after).getTime()])).toEqual([
      [a.id, startA - 24 * HOUR],
      [b.id, startB - 24 * HOUR],
    ]);

    await moveTo(startA - 24 * HOUR + MIN);
    const refused = await t.http.post(
      `/api/patient-dashboard/appointments/${a.id}/cancel`,
      {},
      { token: alice.token },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CANCELLATION_WINDOW_CLOSED');

    await moveTo(startB - 24 * HOUR - MIN);
    const ok = await t.http.post(
      `/api/patient-dashboard/appointments/${b.id}/cancel`,
      { reason: 'Travelling' },
      { token: alice.token },
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.appointment).toMatchObject({ status: 'CANCELLED', cancelReason: 'Travelling' });
    expect(ok.body.refund).toMatchObject({ amount: { amount: 50_000, currency: 'INR' } });
    const refunds = await rows('select amount_minor from refunds where payment_id = $1', [b.paymentId]);
    expect(refunds.map((r) => Number(r.amount_minor))).toEqual([50_000]);
    // Cancelling twice changes nothing more.
    const twice = await t.http.post(
      `/api/patient-dashboard/appointments/${b.id}/cancel`,
      {},
      { token: alice.token },
    );
    expect(twice.status).toBe(409);

    // The reminder jobs run (late, and twice): one reminder for A, none for the cancelled B.
    await t.runJobs({ names: ['booking.remind'] });
    expect(await bookingOf(t).sendReminder(a.id, new Date(startA - 24 * HOUR).toISOString())).toBe(true);
    await t.runJobs({ names: ['booking.remind'] });
    const reminders = await rows(
      `select idempotency_key, count(*)::int as n from notifications where template_id = 'appointment_reminder'
        group by 1`,
      [],
    );
    expect(reminders.map((r) => r.idempotency_key)).toEqual([
      `appointment:${a.id}:reminder:${new Date(startA - 24 * HOUR).toISOString()}`,
    ]);
    const cancelledMsgs = await rows(
      `select count(*)::int as n from notifications where template_id = 'appointment_cancelled' and idempotency_key like $1`,
      [`appointment:${b.id}:%`],
    );
    expect(cancelledMsgs[0].n).toBeGreaterThan(0);
  });

  test('clinicians and admins cancel at any time with a full refund', async () => {
    const { t, doc, bob, admin, rows } = s;
    const start = t.clock.now().getTime() + 26 * HOUR;
    const at = localSlot(t, ZONE, 0, '09:00');
    const base = new Date(at).getTime();
    const target = new Date(base + Math.ceil((start - base) / (30 * MIN)) * 30 * MIN).toISOString();
    const c = await bookAndPay(t, bob, doc.id, target);
    s.t.clock.set(new Date(new Date(c.startAt).getTime() - 2 * HOUR));
    await renewTokens(t, doc, bob, admin);
    const byPatient = await t.http.post(
      `/api/patient-dashboard/appointments/${c.id}/cancel`,
      {},
      { token: bob.token },
    );
    expect(byPatient.status).toBe(409);
    const byDoc = await t.http.post(
      `/api/patient-dashboard/appointments/${c.id}/cancel`,
      {},
      { token: doc.token },
    );
    expect(byDoc.status, JSON.stringify(byDoc.body)).toBe(200);
    expect(byDoc.body.refund.amount.amount).toBe(50_000);
    expect(
      (await rows('select count(*)::int as n from refunds where payment_id = $1', [c.paymentId]))[0].n,
    ).toBe(1);
  });
});

describe('reschedule', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup();
  });
  afterAll(() => s?.t.close());

  test('moves a confirmed appointment, its payment and its reminder to another free slot', async () => {
    const { t, doc, alice, slot, rows } = s;
    const a = await bookAndPay(t, alice, doc.id, slot(3, '09:00'));
    const to = slot(4, '11:30');
    const res = await t.http.post(
      `/api/appointments/${a.id}/reschedule`,
      { startAt: to },
      { token: alice.token },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.appointment).toMatchObject({ id: a.id, status: 'CONFIRMED', paymentId: a.paymentId });
    expect(new Date(res.body.appointment.startAt).toISOString()).toBe(to);
    await t.runJobs({ names: ['booking.remind'] });
    const reminders = await rows(
      `select distinct idempotency_key from notifications where template_id = 'appointment_reminder'`,
      [],
    );
    expect(reminders.map((r) => r.idempotency_key)).toEqual([
      `appointment:${a.id}:reminder:${new Date(new Date(to).getTime() - 24 * HOUR).toISOString()}`,
    ]);
    // The old slot is free again.
    expect((await initiate(t, s.bob, { clinicianId: doc.id, startAt: slot(3, '09:00') })).status).toBe(201);
    // A taken slot is refused and nothing moves.
    const taken = await t.http.post(
      `/api/appointments/${a.id}/reschedule`,
      { startAt: slot(3, '09:00') },
      { token: alice.token },
    );
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('SLOT_UNAVAILABLE');
    const notOffered = await t.http.post(
      `/api/appointments/${a.id}/reschedule`,
      { startAt: slot(4, '11:10') },
      { token: alice.token },
    );
    expect(notOffered.status).toBe(404);
    const now = await t.http.get(`/api/patient-dashboard/appointments/${a.id}`, { token: alice.token });
    expect(new Date(now.body.startAt).toISOString()).toBe(to);
  });

  test('a concurrent reschedule and booking of the same target slot: exactly one wins', async () => {
    const { t, doc, slot, rows } = s;
    for (const [i, hhmm] of ['13:00', '13:30', '14:00', '14:30'].entries()) {
      const mover = await createUser(t, { role: 'patient' });
      const booker = await createUser(t, { role: 'patient' });
      const a = await bookAndPay(t, mover, doc.id, slot(5, ['09:00', '09:30', '10:00', '10:30'][i]!));
      const target = slot(5, hhmm);
      const [moved, booked] = await Promise.allSettled([
        t.http.post(`/api/appointments/${a.id}/reschedule`, { startAt: target }, { token: mover.token }),
        initiate(t, booker, { clinicianId: doc.id, startAt: target }),
      ]);
      const statuses = [moved, booked].map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
      expect(
        statuses.filter((x) => x === 200 || x === 201),
        JSON.stringify(statuses),
      ).toHaveLength(1);
      expect(statuses.filter((x) => x === 409)).toHaveLength(1);
      const live = await rows(
        `select count(*)::int as n from appointments where clinician_id = $1 and starts_at = $2
           and status in ('PENDING_PAYMENT', 'CONFIRMED')`,
        [doc.id, target],
      );
      expect(live[0].n).toBe(1);
    }
  });
});

describe('after the slot', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup();
  });
  afterAll(() => s?.t.close());

  test('the clinician completes or marks no-show after the start; completion makes a relationship', async () => {
    const { t, doc, alice, bob, admin, slot, moveTo } = s;
    await catalogOf(t).setPatientPlan(alice.id, { planCode: 'vise' });
    const a = await bookAndPay(t, alice, doc.id, slot(2, '09:00'));
    const b = await bookAndPay(t, bob, doc.id, slot(2, '09:30'));
    const early = await t.http.post(`/api/appointments/${a.id}/complete`, {}, { token: doc.token });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('APPOINTMENT_NOT_STARTED');

    await moveTo(new Date(b.startAt).getTime() + 5 * MIN);
    const otherDoc = await createUser(t, { role: 'clinician' });
    expect(
      (await t.http.post(`/api/appointments/${a.id}/complete`, {}, { token: otherDoc.token })).status,
    ).toBe(404);
    expect((await t.http.post(`/api/appointments/${a.id}/complete`, {}, { token: alice.token })).status).toBe(
      403,
    );
    const done = await t.http.post(`/api/appointments/${a.id}/complete`, {}, { token: doc.token });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.appointment.status).toBe('COMPLETED');
    const noShow = await t.http.post(`/api/appointments/${b.id}/no-show`, {}, { token: doc.token });
    expect(noShow.body.appointment).toMatchObject({ status: 'NO_SHOW', noShowReview: false });
    expect((await t.http.post(`/api/appointments/${b.id}/complete`, {}, { token: admin.token })).status).toBe(
      409,
    );

    // The completed appointment made a relationship: alice's vise plan now books this clinician free.
    const free = await initiate(t, alice, { clinicianId: doc.id, startAt: slot(3, '09:00') });
    expect(free.status, JSON.stringify(free.body)).toBe(201);
    expect(free.body.payment).toBeNull();
    expect(free.body.appointment.status).toBe('CONFIRMED');
  });

  test('a job marks appointments still CONFIRMED after their end as NO_SHOW awaiting review', async () => {
    const { t, doc, bob, slot, moveTo } = s;
    const c = await bookAndPay(t, bob, doc.id, slot(2, '15:00'));
    const end = new Date(c.startAt).getTime() + 30 * MIN;
    await moveTo(end + 59 * MIN);
    await t.platform.jobs.send(markNoShowsJob, {});
    await t.runJobs({ names: [markNoShowsJob.name] });
    const before = await t.http.get(`/api/patient-dashboard/appointments/${c.id}`, { token: bob.token });
    expect(before.body.status).toBe('CONFIRMED');
    await moveTo(end + 60 * MIN);
    await t.platform.jobs.send(markNoShowsJob, {});
    await t.runJobs({ names: [markNoShowsJob.name] });
    const after = await t.http.get(`/api/patient-dashboard/appointments/${c.id}`, { token: bob.token });
    expect(after.body).toMatchObject({ status: 'NO_SHOW', noShowReview: true });
    // Under review the clinician may still record it as completed.
    const done = await t.http.post(`/api/appointments/${c.id}/complete`, {}, { token: doc.token });
    expect(done.body.appointment).toMatchObject({ status: 'COMPLETED', noShowReview: false });
  });

  test("dashboards: the patient's past list, the clinician's day and the admin list", async () => {
    const { t, doc, alice, admin } = s;
    const past = await t.http.get('/api/patient-dashboard/appointments?scope=past', { token: alice.token });
    expect(past.status).toBe(200);
    expect(past.body.map((a: any) => a.status)).toContain('COMPLETED');
    const upcoming = await t.http.get('/api/patient-dashboard/appointments', { token: alice.token });
    expect(upcoming.body.every((a: any) => a.status === 'CONFIRMED' || a.status === 'PENDING_PAYMENT')).toBe(
      true,
    );
    const completed = past.body.find((a: any) => a.status === 'COMPLETED');
    const date = new Date(completed.startAt).toLocaleDateString('en-CA', { timeZone: ZONE });
    const mine = await t.http.get(`/api/clinician/appointments?date=${date}`, { token: doc.token });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect(mine.body).toMatchObject({ date, timeZone: ZONE });
    expect(mine.body.appointments.map((a: any) => a.id)).toContain(completed.id);
    const filtered = await t.http.get(`/api/admin/appointments?status=COMPLETED&clinicianId=${doc.id}`, {
      token: admin.token,
    });
    expect(filtered.status).toBe(200);
    expect(filtered.body.length).toBeGreaterThanOrEqual(1);
    expect(filtered.body.every((a: any) => a.status === 'COMPLETED')).toBe(true);
    expect((await t.http.get('/api/admin/appointments', { token: alice.token })).status).toBe(403);
    expect((await t.http.get('/api/admin/appointments?status=BOOKED', { token: admin.token })).status).toBe(
      400,
    );
  });
});

describe('a deployment that requires a plan', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup({ REQUIRE_PLAN_FOR_BOOKING: 'true' });
  });
  afterAll(() => s?.t.close());

  test('a `none` patient gets 403 SUBSCRIPTION_REQUIRED and nothing is written; a standard one pays', async () => {
    const { t, doc, alice, bob, slot, rows } = s;
    const refused = await initiate(t, alice, { clinicianId: doc.id, startAt: slot(2, '09:00') });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('SUBSCRIPTION_REQUIRED');
    expect((await rows('select count(*)::int as n from appointments', []))[0].n).toBe(0);
    await catalogOf(t).setPatientPlan(bob.id, { planCode: 'standard' });
    const paid = await initiate(t, bob, { clinicianId: doc.id, startAt: slot(2, '09:00') });
    expect(paid.status).toBe(201);
    expect(paid.body.payment.amount).toBe(50_000);
  });
});
