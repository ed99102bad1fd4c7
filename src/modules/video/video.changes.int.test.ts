import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import {
  FAKE_ACCESS_TOKEN,
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
} from '../../../test/fakes/google-calendar.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import type { VideoModule } from './index.js';

const MIN = 60_000;
const SYNC = 'video.sync_calendar_event';

describe('Google Calendar event follows reschedule and cancel', () => {
  let google: FakeGoogleCalendar;
  let t: TestApp;
  let patient: TestUser;
  let clinician: TestUser;

  const video = () => t.modules.find((m) => m.name === 'video') as VideoModule;
  const row = async (appointmentId: string) =>
    (await t.platform.pool.query('select * from video_sessions where appointment_id = $1', [appointmentId]))
      .rows[0];
  /** Runs the registered sync handler directly with a payload, as a duplicate or late delivery would. */
  const runSyncAgain = (data: { videoSessionId: string; revision: number }) =>
    video()
      .jobs!.find((j) => j.def.name === SYNC)!
      .handler(data, { id: 'again', retryCount: 0 });
  const syncPayloads = async (videoSessionId: string) =>
    (
      await t.platform.pool.query<{ data: { videoSessionId: string; revision: number } }>(
        `select data from pgboss.job where name = $1 and data->>'videoSessionId' = $2 order by created_on`,
        [SYNC, videoSessionId],
      )
    ).rows.map((r) => r.data);

  const at = (minutesFromNow: number) => new Date(t.clock.now().getTime() + minutesFromNow * MIN);
  const eventPath = (r: { meeting_id: string }) => `${google.eventsPath}/${r.meeting_id}`;
  const calls = () => google.calendarRequests().map((r) => `${r.method} ${r.path}`);

  /** Asks for a meeting for a new appointment, in its own transaction; no job has run yet. */
  async function requested(startsInMinutes: number, durationMinutes = 30) {
    const req = {
      appointmentId: randomUUID(),
      startsAt: at(startsInMinutes),
      endsAt: at(startsInMinutes + durationMinutes),
      title: 'Video consultation',
      patientUserId: patient.id,
      clinicianUserId: clinician.id,
    };
    await t.platform.uow((tx) => video().service.requestMeeting(tx, req));
    return req;
  }

  /** A Google meeting whose event exists (the create job has run). */
  async function scheduled(startsInMinutes = 24 * 60) {
    const req = await requested(startsInMinutes);
    await t.runJobs();
    const r = await row(req.appointmentId);
    expect(r).toMatchObject({ provider: 'GOOGLE_MEET', status: 'SCHEDULED' });
    google.reset();
    return { ...req, row: r };
  }
  const reschedule = (appointmentId: string, startsAt: Date, endsAt: Date) =>
    t.platform.uow((tx) => video().service.rescheduleMeeting(tx, { appointmentId, startsAt, endsAt }));
  const cancel = (appointmentId: string) =>
    t.platform.uow((tx) => video().service.cancelMeeting(tx, appointmentId));

  beforeAll(async () => {
    google = await startFakeGoogleCalendar({ now: () => t.clock.now() });
    t = await startTestApp({ env: google.env(), captureLogs: true });
    patient = await createUser(t);
    clinician = await createUser(t, { role: 'clinician' });
  });
  afterAll(async () => {
    await t?.close();
    await google?.close();
  });
  beforeEach(() => google.reset());

  test('a reschedule moves the event once with events.patch, also when its job runs twice', async () => {
    const m = await scheduled();
    const startsAt = at(3 * 24 * 60);
    const endsAt = at(3 * 24 * 60 + 30);
    await reschedule(m.appointmentId, startsAt, endsAt);
    // Nothing leaves before the job runs: the call is not made in the caller's transaction.
    expect(google.requests).toHaveLength(0);
    expect(await t.runJobs()).toBe(1);

    const [patch, ...rest] = google.calendarRequests();
    expect(rest).toHaveLength(0);
    expect(patch!.method).toBe('PATCH');
    expect(patch!.path).toBe(eventPath(m.row));
    expect(patch!.path).toBe(`/calendar/v3/calendars/clinic%40carebook.test/events/${m.row.meeting_id}`);
    expect(patch!.headers.authorization).toBe(`Bearer ${FAKE_ACCESS_TOKEN}`);
    expect(patch!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(patch!.body)).toEqual({
      start: { dateTime: startsAt.toISOString(), timeZone: 'UTC' },
      end: { dateTime: endsAt.toISOString(), timeZone: 'UTC' },
    });
    expect(google.events.get(m.row.meeting_id)).toMatchObject({
      start: { dateTime: startsAt.toISOString() },
      end: { dateTime: endsAt.toISOString() },
      status: 'confirmed',
    });
    expect(await row(m.appointmentId)).toMatchObject({
      scheduled_start_at: startsAt,
      scheduled_end_at: endsAt,
      calendar_sync: 'DONE',
      calendar_attempts: 1,
      error: null,
    });

    // The same job delivered again, and the queue run again: no second call.
    const [payload] = await syncPayloads(m.row.id);
    await runSyncAgain(payload!);
    expect(await t.runJobs()).toBe(0);
    expect(google.calendarRequests()).toHaveLength(1);
    // Asking for the times it already has changes nothing either.
    await reschedule(m.appointmentId, startsAt, endsAt);
    expect(await t.runJobs()).toBe(0);
  });

  test('a job for older times does nothing: two reschedules before the jobs run make one patch, to the newest times', async () => {
    const m = await scheduled();
    await reschedule(m.appointmentId, at(2 * 24 * 60), at(2 * 24 * 60 + 30));
    const newest = at(4 * 24 * 60);
    await reschedule(m.appointmentId, newest, at(4 * 24 * 60 + 30));
    await t.runJobs();
    expect(calls()).toEqual([`PATCH ${eventPath(m.row)}`]);
    expect(JSON.parse(google.calendarRequests()[0]!.body).start.dateTime).toBe(newest.toISOString());
    // The older job delivered late still does nothing.
    const [older] = await syncPayloads(m.row.id);
    expect(older!.revision).toBe(1);
    await runSyncAgain(older!);
    expect(google.calendarRequests()).toHaveLength(1);
    expect(google.events.get(m.row.meeting_id)!.start.dateTime).toBe(newest.toISOString());
  });

  test('a meeting still PENDING only changes the times its create job uses', async () => {
    const { appointmentId } = await requested(60);
    await reschedule(appointmentId, at(120), at(150));
    await t.runJobs();
    expect(google.calendarRequests().map((r) => r.method)).toEqual(['POST']);
    expect(JSON.parse(google.calendarRequests()[0]!.body)).toMatchObject({
      start: { dateTime: at(120).toISOString() },
      end: { dateTime: at(150).toISOString() },
    });
    expect(await row(appointmentId)).toMatchObject({ status: 'SCHEDULED', calendar_sync: null });
  });

  test('a reschedule between a create attempt that reached Google and its retry still moves the event', async () => {
    let lost = false;
    google.script((req, next) => {
      const reply = next();
      if (req.method !== 'POST' || lost) return reply;
      lost = true;
      return { status: 503, body: {} };
    });
    const { appointmentId } = await requested(60);
    // First attempt only: the event was created with the first times, its reply lost.
    await t.runJobs({ ignoreStartAfter: false });
    await reschedule(appointmentId, at(120), at(150));
    await t.runJobs();
    const r = await row(appointmentId);
    expect(google.calendarRequests().map((q) => q.method)).toEqual(['POST', 'POST', 'GET', 'PATCH']);
    expect(google.events.get(r.meeting_id)!.start.dateTime).toBe(at(120).toISOString());
    expect(r).toMatchObject({ status: 'SCHEDULED', calendar_sync: 'DONE' });
  });

  test('a 500 on events.patch is retried with backoff and then succeeds', async () => {
    const m = await scheduled();
    let failed = false;
    google.script((req, next) => {
      if (req.method !== 'PATCH' || failed) return next();
      failed = true;
      return { status: 500, body: { error: { code: 500, message: 'Backend Error' } } };
    });
    await reschedule(m.appointmentId, at(48 * 60), at(48 * 60 + 30));
    // One run: the failure is recorded and the retry waits 30 s (the create job's backoff policy).
    expect(await t.runJobs({ ignoreStartAfter: false })).toBe(1);
    expect(await row(m.appointmentId)).toMatchObject({
      calendar_sync: 'PENDING',
      calendar_attempts: 1,
      error: 'events.patch: HTTP 500',
    });
    const retry = await t.platform.pool.query(
      `select start_after from pgboss.job where name = $1 and state = 'created'`,
      [SYNC],
    );
    expect(retry.rows.map((j) => new Date(j.start_after).getTime())).toEqual([
      t.clock.now().getTime() + 30_000,
    ]);
    await t.runJobs();
    expect(google.calendarRequests().map((r) => r.method)).toEqual(['PATCH', 'PATCH']);
    expect(google.events.get(m.row.meeting_id)!.start.dateTime).toBe(at(48 * 60).toISOString());
    expect(await row(m.appointmentId)).toMatchObject({
      calendar_sync: 'DONE',
      calendar_attempts: 2,
      error: null,
    });
  });

  test('a permanent 4xx is recorded on the row and logged without the title or phone numbers', async () => {
    const m = await scheduled();
    google.script((req, next) =>
      req.method === 'PATCH' ? { status: 403, body: { error: { code: 403, message: 'Forbidden' } } } : next(),
    );
    const logsBefore = t.logs.length;
    await reschedule(m.appointmentId, at(50 * 60), at(50 * 60 + 30));
    await t.runJobs();
    expect(google.calendarRequests().map((r) => r.method)).toEqual(['PATCH']);
    expect(await row(m.appointmentId)).toMatchObject({
      calendar_sync: 'FAILED',
      calendar_attempts: 1,
      error: 'events.patch: HTTP 403',
      // The meeting itself stays usable: same link, new times.
      status: 'SCHEDULED',
      scheduled_start_at: at(50 * 60),
    });
    const logged = t.logs.slice(logsBefore).join('\n');
    expect(logged).toContain('Google Calendar event change failed for good');
    expect(logged).toContain(m.row.id);
    for (const secret of ['Video consultation', patient.phone, clinician.phone])
      expect(logged).not.toContain(secret);
  });

  test('cancel deletes the event once; a PENDING meeting that never reached Google makes no call', async () => {
    const m = await scheduled();
    await cancel(m.appointmentId);
    expect(google.requests).toHaveLength(0);
    await t.runJobs();
    const [del, ...rest] = google.calendarRequests();
    expect(rest).toHaveLength(0);
    expect(del).toMatchObject({ method: 'DELETE', path: eventPath(m.row), body: '' });
    expect(del!.headers.authorization).toBe(`Bearer ${FAKE_ACCESS_TOKEN}`);
    expect(google.events.get(m.row.meeting_id)!.status).toBe('cancelled');
    expect(await row(m.appointmentId)).toMatchObject({ status: 'CANCELLED', calendar_sync: 'DONE' });
    // Delivered again, cancelled again, rescheduled after: no further call.
    const [payload] = await syncPayloads(m.row.id);
    await runSyncAgain(payload!);
    await cancel(m.appointmentId);
    await reschedule(m.appointmentId, at(70 * 60), at(70 * 60 + 30));
    await t.runJobs();
    expect(google.calendarRequests()).toHaveLength(1);

    const { appointmentId: never } = await requested(60);
    await cancel(never);
    await t.runJobs();
    expect(google.calendarRequests()).toHaveLength(1);
    expect(await row(never)).toMatchObject({ status: 'CANCELLED', calendar_sync: null, join_url: null });
  });

  test('a 404 or 410 on events.delete means the event is already gone: success', async () => {
    const gone = await scheduled();
    // Deleted by hand in the calendar: Google no longer knows it.
    google.events.delete(gone.row.meeting_id);
    await cancel(gone.appointmentId);
    await t.runJobs();
    expect(calls()).toEqual([`DELETE ${eventPath(gone.row)}`]);
    expect(await row(gone.appointmentId)).toMatchObject({ calendar_sync: 'DONE', error: null });

    google.reset();
    const deleted = await scheduled();
    google.events.get(deleted.row.meeting_id)!.status = 'cancelled';
    await cancel(deleted.appointmentId);
    await t.runJobs();
    expect(calls()).toEqual([`DELETE ${eventPath(deleted.row)}`]);
    expect(await row(deleted.appointmentId)).toMatchObject({ calendar_sync: 'DONE', error: null });
  });
});
