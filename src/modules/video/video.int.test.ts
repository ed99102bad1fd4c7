import { randomUUID } from 'node:crypto';
import { exportPKCS8, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import {
  type FakeGoogleCalendar,
  MEET_LINK,
  startFakeGoogleCalendar,
} from '../../../test/fakes/google-calendar.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { createVideoModule, type MeetingInfo, type VideoModule } from './index.js';

const videoOf = (t: TestApp) => (t.modules.find((m) => m.name === 'video') as VideoModule).service;
const sessionRow = async (t: TestApp, appointmentId: string) =>
  (await t.platform.pool.query('select * from video_sessions where appointment_id = $1', [appointmentId]))
    .rows[0];

function meetingFor(patient: TestUser, clinician: TestUser, t: TestApp) {
  const startsAt = new Date(t.clock.now().getTime() + 86_400_000);
  return {
    appointmentId: randomUUID(),
    startsAt,
    endsAt: new Date(startsAt.getTime() + 30 * 60_000),
    title: 'Video consultation',
    patientUserId: patient.id,
    clinicianUserId: clinician.id,
  };
}

describe('Jitsi (default)', () => {
  let t: TestApp;
  let patient: TestUser;
  let clinician: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ env: { JITSI_BASE_URL: 'https://meet.example.test/' } });
    patient = await createUser(t);
    clinician = await createUser(t, { role: 'clinician' });
  });
  afterAll(async () => {
    await t?.close();
  });

  test('links are unique, unguessable rooms on the configured server; one meeting per appointment', async () => {
    const requests = Array.from({ length: 3 }, () => meetingFor(patient, clinician, t));
    for (const req of requests) {
      await t.platform.uow((tx) => videoOf(t).requestMeeting(tx, req));
      // Asking again for the same appointment changes nothing.
      await t.platform.uow((tx) => videoOf(t).requestMeeting(tx, { ...req, title: 'again' }));
    }
    expect(await videoOf(t).findForAppointment(requests[0]!.appointmentId)).toMatchObject({
      status: 'PENDING',
      joinUrl: null,
    });
    await t.runJobs();
    const links: string[] = [];
    for (const req of requests) {
      const found = await videoOf(t).findForAppointment(req.appointmentId);
      expect(found).toMatchObject({ provider: 'jitsi', status: 'SCHEDULED' });
      expect(found!.joinUrl).toMatch(/^https:\/\/meet\.example\.test\/carebook-[0-9a-f]{32}$/);
      expect(found!.hostUrl).toBe(found!.joinUrl);
      links.push(found!.joinUrl!);
      expect((await sessionRow(t, req.appointmentId)).title).toBe('Video consultation');
    }
    expect(new Set(links).size).toBe(3);
    const count = await t.platform.pool.query('select count(*)::int as n from video_sessions');
    expect(count.rows[0].n).toBe(3);
  });

  test('a request in a rolled-back transaction leaves no session and no job', async () => {
    const req = meetingFor(patient, clinician, t);
    await expect(
      t.platform.uow(async (tx) => {
        await videoOf(t).requestMeeting(tx, req);
        throw new Error('booking failed');
      }),
    ).rejects.toThrow('booking failed');
    expect(await t.runJobs()).toBe(0);
    expect(await videoOf(t).findForAppointment(req.appointmentId)).toBeNull();
  });

  test('a meeting cancelled before its job runs gets no link', async () => {
    const req = meetingFor(patient, clinician, t);
    await t.platform.uow((tx) => videoOf(t).requestMeeting(tx, req));
    await t.platform.uow((tx) => videoOf(t).cancelMeeting(tx, req.appointmentId));
    await t.runJobs();
    expect(await videoOf(t).findForAppointment(req.appointmentId)).toEqual({
      provider: 'jitsi',
      joinUrl: null,
      hostUrl: null,
      status: 'CANCELLED',
    });
  });

  test('bad input is refused and writes nothing', async () => {
    const req = meetingFor(patient, clinician, t);
    await expect(
      t.platform.uow((tx) => videoOf(t).requestMeeting(tx, { ...req, endsAt: req.startsAt })),
    ).rejects.toMatchObject({ status: 400 });
    expect(await videoOf(t).findForAppointment(req.appointmentId)).toBeNull();
  });

  test('the ready callback runs once, in the job, with the links', async () => {
    const seen: MeetingInfo[] = [];
    const video = createVideoModule({
      ...t.platform,
      onReady: async (tx, meeting) => {
        // Inside the job's transaction: the row is already SCHEDULED there.
        const r = await tx.query<{ status: string }>(
          'select status from video_sessions where appointment_id = $1',
          [meeting.appointmentId],
        );
        expect(r.rows[0]!.status).toBe('SCHEDULED');
        seen.push(meeting);
      },
    });
    const req = meetingFor(patient, clinician, t);
    await t.platform.uow((tx) => video.service.requestMeeting(tx, req));
    const row = await sessionRow(t, req.appointmentId);
    const handler = video.jobs![0]!.handler;
    await handler({ videoSessionId: row.id }, { id: 'j', retryCount: 0 });
    await handler({ videoSessionId: row.id }, { id: 'j', retryCount: 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      appointmentId: req.appointmentId,
      provider: 'jitsi',
      patientUserId: patient.id,
      clinicianUserId: clinician.id,
      startsAt: req.startsAt,
    });
    expect(seen[0]!.joinUrl).toBe((await video.service.findForAppointment(req.appointmentId))!.joinUrl);
  });
});

describe('Google Meet', () => {
  let google: FakeGoogleCalendar;
  let t: TestApp;
  let patient: TestUser;
  let clinician: TestUser;

  beforeAll(async () => {
    google = await startFakeGoogleCalendar({ now: () => t.clock.now() });
    t = await startTestApp({ env: { ...google.env(), JITSI_BASE_URL: 'https://meet.example.test' } });
    patient = await createUser(t);
    clinician = await createUser(t, { role: 'clinician' });
  });
  afterAll(async () => {
    await t?.close();
    await google?.close();
  });
  beforeEach(() => google.reset());

  test('the Calendar API gets events.insert with conference data and a signed service-account token; the Meet link is stored', async () => {
    const req = meetingFor(patient, clinician, t);
    await t.platform.uow((tx) => videoOf(t).requestMeeting(tx, req));
    await t.runJobs();

    const [token, insert] = google.requests;
    expect(token!.method).toBe('POST');
    expect(token!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(google.verified).toHaveLength(1);
    expect(google.verified[0]).toMatchObject({
      alg: 'RS256',
      scope: 'https://www.googleapis.com/auth/calendar.events',
    });

    expect(insert!.method).toBe('POST');
    expect(insert!.path).toBe('/calendar/v3/calendars/clinic%40carebook.test/events?conferenceDataVersion=1');
    expect(insert!.headers.authorization).toBe('Bearer ya29.fake-token');
    const row = await sessionRow(t, req.appointmentId);
    const body = JSON.parse(insert!.body);
    expect(body).toEqual({
      id: `cb${row.id.replace(/-/g, '')}`,
      summary: 'Video consultation',
      start: { dateTime: req.startsAt.toISOString(), timeZone: 'UTC' },
      end: { dateTime: req.endsAt.toISOString(), timeZone: 'UTC' },
      conferenceData: {
        createRequest: { requestId: row.id, conferenceSolutionKey: { type: 'hangoutsMeet' } },
      },
    });
    expect(body.id).toMatch(/^[a-v0-9]{5,1024}$/);
    expect(row).toMatchObject({
      provider: 'GOOGLE_MEET',
      status: 'SCHEDULED',
      join_url: MEET_LINK,
      meeting_id: body.id,
    });
    expect(await videoOf(t).findForAppointment(req.appointmentId)).toEqual({
      provider: 'google_meet',
      joinUrl: MEET_LINK,
      hostUrl: MEET_LINK,
      status: 'SCHEDULED',
    });
  });

  test('an insert whose reply was lost is read back on retry, not created twice', async () => {
    let lost = false;
    google.script((req, next) => {
      const reply = next();
      if (req.method !== 'POST' || lost) return reply;
      lost = true;
      return { status: 503, body: {} };
    });
    const req = meetingFor(patient, clinician, t);
    await t.platform.uow((tx) => videoOf(t).requestMeeting(tx, req));
    await t.runJobs();
    const calls = google.calendarRequests().map((r) => r.method);
    expect(calls).toEqual(['POST', 'POST', 'GET']);
    const row = await sessionRow(t, req.appointmentId);
    expect(google.events.has(row.meeting_id)).toBe(true);
    expect(row).toMatchObject({ status: 'SCHEDULED', join_url: MEET_LINK, attempts: 2 });
    // The access token is reused while it is valid.
    expect(google.requests.filter((r) => r.path === '/token')).toHaveLength(0);
  });

  test('a conference still pending is read again later', async () => {
    let pending = false;
    google.script((req, next) => {
      const reply = next();
      if (req.method !== 'POST' || pending) return reply;
      pending = true;
      const { id } = reply.body as { id: string };
      return {
        status: 200,
        body: { id, conferenceData: { createRequest: { status: { statusCode: 'pending' } } } },
      };
    });
    const req = meetingFor(patient, clinician, t);
    await t.platform.uow((tx) => videoOf(t).requestMeeting(tx, req));
    await t.runJobs();
    const calls = google.calendarRequests().map((r) => r.method);
    expect(calls).toEqual(['POST', 'POST', 'GET']);
    expect(await videoOf(t).findForAppointment(req.appointmentId)).toMatchObject({
      provider: 'google_meet',
      status: 'SCHEDULED',
      joinUrl: MEET_LINK,
    });
  });

  test('a token signed with the wrong key is refused; the appointment still gets a Jitsi link', async () => {
    const other = await generateKeyPair('RS256', { extractable: true });
    const wrong = await startTestApp({
      databaseUrl: t.platform.config.db.url,
      env: {
        ...google.env(await exportPKCS8(other.privateKey)),
        JITSI_BASE_URL: 'https://meet.example.test',
      },
    });
    try {
      const req = meetingFor(patient, clinician, wrong);
      await wrong.platform.uow((tx) => videoOf(wrong).requestMeeting(tx, req));
      await wrong.runJobs();
      expect(google.verified).toHaveLength(0);
      expect(google.requests.map((r) => r.path)).toEqual(['/token']);
      const row = await sessionRow(wrong, req.appointmentId);
      expect(row.provider).toBe('JITSI');
      expect(row.status).toBe('SCHEDULED');
      expect(row.join_url).toMatch(/^https:\/\/meet\.example\.test\/carebook-[0-9a-f]{32}$/);
      expect(row.error).toContain('token exchange: HTTP 400');
    } finally {
      await wrong.close();
    }
  });
});
