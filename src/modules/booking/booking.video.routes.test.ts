import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BookingScene, bookAndPay, bookingScene } from '../../../test/factories/booking.js';
import {
  FAKE_ACCESS_TOKEN,
  type FakeGoogleCalendar,
  MEET_LINK,
  startFakeGoogleCalendar,
} from '../../../test/fakes/google-calendar.js';

const VIDEO_JOBS = ['video.create_meeting', 'video.sync_calendar_event'];

describe('online appointments under Google Meet', () => {
  let google: FakeGoogleCalendar;
  let s: BookingScene;
  beforeAll(async () => {
    google = await startFakeGoogleCalendar({ now: () => s.t.clock.now() });
    s = await bookingScene(google.env());
  });
  afterAll(async () => {
    await s?.t.close();
    await google?.close();
  });

  const meetingOf = async (appointmentId: string) =>
    (await s.rows('select * from video_sessions where appointment_id = $1', [appointmentId]))[0];

  test('a reschedule through the HTTP route moves the Google event; a cancel deletes it', async () => {
    const { t, doc, alice, slot, rows } = s;
    const a = await bookAndPay(t, alice, doc.id, slot(3, '09:00'));
    await t.runJobs({ names: VIDEO_JOBS });
    const meeting = await meetingOf(a.id);
    expect(meeting).toMatchObject({ provider: 'GOOGLE_MEET', status: 'SCHEDULED', join_url: MEET_LINK });
    const eventPath = `${google.eventsPath}/${meeting.meeting_id}`;
    google.reset();

    const to = slot(4, '11:30');
    const moved = await t.http.post(
      `/api/appointments/${a.id}/reschedule`,
      { startAt: to },
      { token: alice.token },
    );
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const [appt] = await rows('select starts_at, ends_at from appointments where id = $1', [a.id]);
    expect(appt.starts_at.toISOString()).toBe(to);
    // The route answers before Google is called: the move is a job committed with the reschedule.
    expect(google.requests).toHaveLength(0);
    await t.runJobs({ names: VIDEO_JOBS });

    const patches = google.calendarRequests();
    expect(patches.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH ${eventPath}`]);
    expect(patches[0]!.headers.authorization).toBe(`Bearer ${FAKE_ACCESS_TOKEN}`);
    expect(JSON.parse(patches[0]!.body)).toEqual({
      start: { dateTime: to, timeZone: 'UTC' },
      end: { dateTime: appt.ends_at.toISOString(), timeZone: 'UTC' },
    });
    expect(google.events.get(meeting.meeting_id)).toMatchObject({
      start: { dateTime: to },
      end: { dateTime: appt.ends_at.toISOString() },
    });
    expect(await meetingOf(a.id)).toMatchObject({
      scheduled_start_at: appt.starts_at,
      scheduled_end_at: appt.ends_at,
      calendar_sync: 'DONE',
      join_url: MEET_LINK,
    });

    google.reset();
    const cancelled = await t.http.post(
      `/api/patient-dashboard/appointments/${a.id}/cancel`,
      {},
      { token: alice.token },
    );
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    await t.runJobs({ names: VIDEO_JOBS });
    expect(google.calendarRequests().map((r) => `${r.method} ${r.path}`)).toEqual([`DELETE ${eventPath}`]);
    expect(google.events.get(meeting.meeting_id)!.status).toBe('cancelled');
    expect(await meetingOf(a.id)).toMatchObject({ status: 'CANCELLED', calendar_sync: 'DONE' });
  });
});
