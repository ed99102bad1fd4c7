import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BookingScene, bookAndPay, bookingOf, bookingScene } from '../../../test/factories/booking.js';
import { createUser } from '../../../test/factories/identity.js';
import { remindJob } from './booking.jobs.js';

const HOUR = 3_600_000;

describe('appointment reminders', () => {
  let s: BookingScene;
  beforeAll(async () => {
    s = await bookingScene();
  });
  afterAll(() => s?.t.close());

  const remindJobsOf = (id: string) =>
    s.rows(
      `select data->>'remindAt' as remind_at, start_after from pgboss.job
        where name = 'booking.remind' and data->>'appointmentId' = $1`,
      [id],
    );

  test('is scheduled 24 h before the start and sent exactly once, however often its job runs', async () => {
    const { t, doc, slot, rows, moveTo } = s;
    const pat = await createUser(t, { role: 'patient' });
    const a = await bookAndPay(t, pat, doc.id, slot(3, '09:00'));
    const due = new Date(new Date(a.startAt).getTime() - 24 * HOUR);

    // Scheduled: the appointment's remind_at and exactly one queued job, both 24 h before the start.
    const [appt] = await rows('select remind_at from appointments where id = $1', [a.id]);
    expect(appt.remind_at.toISOString()).toBe(due.toISOString());
    const jobs = await remindJobsOf(a.id);
    expect(jobs.map((j) => [j.remind_at, new Date(j.start_after).toISOString()])).toEqual([
      [due.toISOString(), due.toISOString()],
    ]);
    const sent = () =>
      rows(
        `select id, user_id, channel, provider, idempotency_key from notifications
          where template_id = 'appointment_reminder' and idempotency_key like $1`,
        [`appointment:${a.id}:%`],
      );
    expect(await sent()).toEqual([]);

    await moveTo(due.getTime(), pat);
    expect(await t.runJobs({ names: [remindJob.name] })).toBe(1);
    const first = await sent();
    expect(first.length).toBeGreaterThan(0);

    // pg-boss delivers at least once: a worker that dies between its commit and `complete` gets the
    // same job again. Two redeliveries in a row, then two copies at once, send nothing more.
    const payload = { appointmentId: a.id, remindAt: due.toISOString() };
    await t.platform.jobs.send(remindJob, payload);
    await t.platform.jobs.send(remindJob, payload);
    expect(await t.runJobs({ names: [remindJob.name] })).toBe(2);
    await Promise.all([
      bookingOf(t).sendReminder(a.id, payload.remindAt),
      bookingOf(t).sendReminder(a.id, payload.remindAt),
    ]);

    const all = await sent();
    expect(all).toEqual(first);
    // One message: one row per channel, to the patient, under the one key for this due time.
    expect(new Set(all.map((n) => n.channel)).size).toBe(all.length);
    expect(all.map((n) => n.channel)).toContain('in_app');
    for (const n of all)
      expect(n).toMatchObject({
        user_id: pat.id,
        idempotency_key: `appointment:${a.id}:reminder:${due.toISOString()}`,
      });
    // Delivered once: one delivery job per row that needs a provider, one console copy, one in-app item.
    const ids = all.map((n) => n.id);
    const deliveries = await rows(
      `select data->>'notificationId' as id from pgboss.job where name = 'messaging.deliver'
        and data->>'notificationId' = any($1)`,
      [ids],
    );
    expect(deliveries.map((d) => d.id).sort()).toEqual(
      all
        .filter((n) => n.provider !== 'console' && n.provider !== 'in_app')
        .map((n) => n.id)
        .sort(),
    );
    const inbox = await t.http.get(`/dev/inbox?to=${encodeURIComponent(pat.phone)}`);
    expect(inbox.status).toBe(200);
    expect(inbox.body.filter((m: any) => m.template === 'appointment_reminder')).toHaveLength(
      all.filter((n) => n.provider === 'console').length,
    );
    expect(all.filter((n) => n.provider === 'console')).toHaveLength(1);
    const feed = await t.http.get('/api/notifications?limit=100', { token: pat.token });
    expect(feed.body.items.filter((n: any) => n.template === 'appointment_reminder')).toHaveLength(1);
  });

  test('a reminder job that runs only after the appointment began sends nothing', async () => {
    const { t, doc, slot, rows, moveTo } = s;
    const pat = await createUser(t, { role: 'patient' });
    const a = await bookAndPay(t, pat, doc.id, slot(5, '09:00'));
    await moveTo(new Date(a.startAt).getTime() + 60_000, pat);
    await t.runJobs({ names: [remindJob.name] });
    const sent = await rows(
      `select id from notifications where template_id = 'appointment_reminder' and idempotency_key like $1`,
      [`appointment:${a.id}:%`],
    );
    expect(sent).toEqual([]);
  });

  test('a booking made less than 24 h ahead gets no reminder', async () => {
    const { t, doc, slot, rows } = s;
    const pat = await createUser(t, { role: 'patient' });
    const soon = slot(0, '15:00');
    const ahead = new Date(soon).getTime() - t.clock.now().getTime();
    expect(ahead).toBeGreaterThan(0);
    expect(ahead).toBeLessThan(24 * HOUR);
    const a = await bookAndPay(t, pat, doc.id, soon);
    const [appt] = await rows('select status, remind_at from appointments where id = $1', [a.id]);
    expect(appt).toEqual({ status: 'CONFIRMED', remind_at: null });
    expect(await remindJobsOf(a.id)).toEqual([]);
  });
});
