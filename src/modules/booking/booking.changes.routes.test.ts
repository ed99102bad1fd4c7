import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type BookingScene,
  bookAndPay,
  bookingOf,
  bookingScene,
  catalogOf,
  initiate,
} from '../../../test/factories/booking.js';
import { createUser } from '../../../test/factories/identity.js';
import { markNoShowsJob } from './booking.jobs.js';

const ZONE = 'Asia/Kolkata';
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('cancel and reminders', () => {
  let s: BookingScene;
  beforeAll(async () => {
    s = await bookingScene();
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
});

describe('reschedule', () => {
  let s: BookingScene;
  beforeAll(async () => {
    s = await bookingScene();
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

  test('a concurrent reschedule and booking of the same target slot: exactly one wins, the loser changes nothing', async () => {
    const { t, doc, slot, rows } = s;
    for (const [i, hhmm] of ['13:00', '13:30', '14:00', '14:30', '15:00', '15:30'].entries()) {
      const mover = await createUser(t, { role: 'patient' });
      const booker = await createUser(t, { role: 'patient' });
      const from = slot(5, `${String(9 + Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`);
      const a = await bookAndPay(t, mover, doc.id, from);
      const [before] = await rows('select starts_at, ends_at, remind_at from appointments where id = $1', [
        a.id,
      ]);
      const target = slot(5, hhmm);
      const [moved, booked] = await Promise.allSettled([
        t.http.post(`/api/appointments/${a.id}/reschedule`, { startAt: target }, { token: mover.token }),
        initiate(t, booker, { clinicianId: doc.id, startAt: target }),
      ]);
      const statuses = [moved, booked].map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
      // The only allowed outcomes: the move wins (200, 409) or the booking wins (409, 201).
      expect([
        [200, 409],
        [409, 201],
      ]).toContainEqual(statuses);
      const loser = [moved, booked].find((r) => r.status === 'fulfilled' && r.value.status === 409);
      expect(loser?.status === 'fulfilled' && loser.value.body.code).toBe('SLOT_UNAVAILABLE');
      const live = await rows(
        `select id, patient_id from appointments where clinician_id = $1 and starts_at = $2
           and status in ('PENDING_PAYMENT', 'CONFIRMED')`,
        [doc.id, target],
      );
      const view = await t.http.get(`/api/patient-dashboard/appointments/${a.id}`, { token: mover.token });
      expect(view.body.status).toBe('CONFIRMED');
      if (statuses[0] === 200) {
        // The booking lost: it wrote no appointment and no payment; the slot is the mover's.
        expect(live.map((r) => r.id)).toEqual([a.id]);
        expect(new Date(view.body.startAt).toISOString()).toBe(target);
        expect(
          (await rows('select count(*)::int as n from appointments where patient_id = $1', [booker.id]))[0].n,
        ).toBe(0);
        expect(
          (await rows('select count(*)::int as n from payments where patient_id = $1', [booker.id]))[0].n,
        ).toBe(0);
      } else {
        // The reschedule lost: the appointment is still CONFIRMED at its original slot with its reminder.
        expect(live.map((r) => r.patient_id)).toEqual([booker.id]);
        expect(new Date(view.body.startAt).toISOString()).toBe(from);
        const [after] = await rows('select starts_at, ends_at, remind_at from appointments where id = $1', [
          a.id,
        ]);
        expect(after).toEqual(before);
        expect(
          (
            await rows(`select count(*)::int as n from notifications where idempotency_key like $1`, [
              `appointment:${a.id}:rescheduled:%`,
            ])
          )[0].n,
        ).toBe(0);
      }
    }
  });

  test("a patient's reschedule within 24 h of the start is refused and changes nothing", async () => {
    const { t, doc, admin, slot, rows, moveTo } = s;
    const pat = await createUser(t, { role: 'patient' });
    const a = await bookAndPay(t, pat, doc.id, slot(6, '09:00'));
    const start = new Date(a.startAt).getTime();
    const snapshot = async () => ({
      row: (
        await rows(
          'select status, starts_at, ends_at, remind_at, updated_at from appointments where id = $1',
          [a.id],
        )
      )[0],
      jobs: await rows(
        `select data->>'remindAt' as remind_at, start_after from pgboss.job
          where name = 'booking.remind' and data->>'appointmentId' = $1 order by start_after`,
        [a.id],
      ),
      messages: (
        await rows('select count(*)::int as n from notifications where idempotency_key like $1', [
          `appointment:${a.id}:%`,
        ])
      )[0].n,
    });
    const before = await snapshot();
    expect(before.row.remind_at.getTime()).toBe(start - 24 * HOUR);
    expect(before.jobs.map((j) => new Date(j.start_after).getTime())).toEqual([start - 24 * HOUR]);

    await moveTo(start - 24 * HOUR + MIN, pat);
    const target = slot(3, '10:00');
    expect(new Date(target).getTime() - t.clock.now().getTime()).toBeGreaterThan(24 * HOUR);
    const refused = await t.http.post(
      `/api/appointments/${a.id}/reschedule`,
      { startAt: target },
      { token: pat.token },
    );
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CANCELLATION_WINDOW_CLOSED');
    expect(refused.headers.get('content-type')).toContain('application/problem+json');

    expect(await snapshot()).toEqual(before);
    const view = await t.http.get(`/api/patient-dashboard/appointments/${a.id}`, { token: pat.token });
    expect(view.body.status).toBe('CONFIRMED');
    expect(new Date(view.body.startAt).toISOString()).toBe(new Date(a.startAt).toISOString());
    const day = target.slice(0, 10);
    const slots = await t.http.get(`/api/clinicians/${doc.id}/slots?from=${day}&to=${day}`);
    const listed = slots.body.slots.find((x: any) => new Date(x.startAt).toISOString() === target);
    expect(listed?.status).toBe('available');

    // The window binds patients only: the clinic may still move it.
    const byAdmin = await t.http.post(
      `/api/appointments/${a.id}/reschedule`,
      { startAt: target },
      { token: admin.token },
    );
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).toBe(200);
    expect(new Date(byAdmin.body.appointment.startAt).toISOString()).toBe(target);
  });
});

describe('after the slot', () => {
  let s: BookingScene;
  beforeAll(async () => {
    s = await bookingScene();
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
    expect(filtered.body.items.length).toBeGreaterThanOrEqual(1);
    expect(filtered.body.items.every((a: any) => a.status === 'COMPLETED')).toBe(true);
    expect((await t.http.get('/api/admin/appointments', { token: alice.token })).status).toBe(403);
    expect((await t.http.get('/api/admin/appointments?status=BOOKED', { token: admin.token })).status).toBe(
      400,
    );
  });
});

describe('a deployment that requires a plan', () => {
  let s: BookingScene;
  beforeAll(async () => {
    s = await bookingScene({ REQUIRE_PLAN_FOR_BOOKING: 'true' });
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
