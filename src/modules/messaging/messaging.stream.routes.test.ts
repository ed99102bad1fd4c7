import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser, loginWithOtp, nextPhone, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { openStream } from '../../../test/support/sse.js';
import type { MessagingModule } from './index.js';

const messagingOf = (t: TestApp) =>
  (t.modules.find((m) => m.name === 'messaging') as MessagingModule).service;

const newBooking = (t: TestApp, userId: string, key: string, patientName = 'Asha Rao') =>
  t.platform.uow((tx) =>
    messagingOf(t).notify(tx, {
      template: 'doctor_new_booking',
      vars: {
        clinicianName: 'Vikram Shah',
        patientName,
        startsAt: 'Mon 7 Jan 2030, 11:30 IST',
        mode: 'online',
      },
      recipient: { userId },
      idempotencyKey: key,
    }),
  );

describe('in-app notifications', () => {
  let a: TestApp;
  let b: TestApp;
  let doctor: TestUser;
  let other: TestUser;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ databaseUrl: a.platform.config.db.url });
    doctor = await createUser(a, { role: 'clinician' });
    other = await createUser(a, { role: 'patient' });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  test('an SSE client on one instance receives a notification created through another', async () => {
    const stream = await openStream(a.url, doctor.token);
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
      expect((await stream.next()).event).toBe('ready');
      const { notificationIds } = await newBooking(b, doctor.id, 'appt:sse:doctor');
      const ev = await stream.next();
      expect(ev.event).toBe('notification');
      expect(ev.id).toBe(notificationIds[0]);
      expect(JSON.parse(ev.data)).toMatchObject({
        id: notificationIds[0],
        template: 'doctor_new_booking',
        title: 'New booking',
        body: 'Dr Vikram Shah, Asha Rao booked a online appointment with you on Mon 7 Jan 2030, 11:30 IST.',
        readAt: null,
      });
    } finally {
      stream.close();
    }
  });

  test("a stream never carries another user's notification, nor one from a rolled-back transaction", async () => {
    const stream = await openStream(b.url, other.token);
    try {
      expect((await stream.next()).event).toBe('ready');
      await newBooking(a, doctor.id, 'appt:sse:not-yours');
      await a.platform
        .uow(async (tx) => {
          await messagingOf(a).notify(tx, {
            template: 'session_low_credits',
            vars: { patientName: 'P', remaining: '1' },
            recipient: { userId: other.id },
            idempotencyKey: 'credits:rolled-back',
          });
          throw new Error('rolled back');
        })
        .catch(() => {});
      const mine = await a.platform.uow((tx) =>
        messagingOf(a).notify(tx, {
          template: 'session_low_credits',
          vars: { patientName: 'P', remaining: '2' },
          recipient: { userId: other.id },
          idempotencyKey: 'credits:kept',
        }),
      );
      // Events arrive in commit order, so the first one this user sees must be their own committed one.
      const ev = await stream.next();
      expect(ev.id).toBe(mine.notificationIds[0]);
      expect(JSON.parse(ev.data).body).toContain('you have 2 session credits left');
    } finally {
      stream.close();
    }
  });

  test('a reconnecting stream first gets what it missed after Last-Event-ID', async () => {
    const user = await createUser(a, { role: 'clinician' });
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      a.clock.advanceMinutes(1);
      ids.push((await newBooking(a, user.id, `appt:replay:${i}`, `Patient ${i}`)).notificationIds[0]!);
    }
    // Written with a clock read 3 s before the first one's, committed after it (a slow transaction).
    a.clock.advance(-(2 * 60_000 + 3_000));
    const slow = (await newBooking(a, user.id, 'appt:replay:slow', 'Slow')).notificationIds[0]!;
    a.clock.advanceMinutes(3);
    const stream = await openStream(b.url, user.token, ids[0]);
    try {
      expect((await stream.next()).id).toBe(slow);
      expect((await stream.next()).id).toBe(ids[1]);
      expect((await stream.next()).id).toBe(ids[2]);
      expect((await stream.next()).event).toBe('ready');
    } finally {
      stream.close();
    }
    // Someone else's id replays nothing.
    const stranger = await openStream(b.url, other.token, ids[0]);
    try {
      expect((await stranger.next()).event).toBe('ready');
    } finally {
      stranger.close();
    }
  });

  test('a browser without headers opens the stream with a short-lived ticket', async () => {
    const user = await createUser(a, { role: 'admin' });
    const issued = await a.http.post('/api/notifications/stream-ticket', undefined, { token: user.token });
    expect(issued.status).toBe(200);
    expect(issued.body.expiresAt).toBe(new Date(a.clock.now().getTime() + 60_000).toISOString());
    const stream = await openStream(b.url, undefined, undefined, `?ticket=${issued.body.ticket}`);
    try {
      expect(stream.res.status).toBe(200);
      expect((await stream.next()).event).toBe('ready');
      const { notificationIds } = await a.platform.uow((tx) =>
        messagingOf(a).notify(tx, {
          template: 'admin_new_booking',
          vars: {
            patientName: 'Asha',
            clinicianName: 'Dr Rao',
            startsAt: 'Mon 7 Jan, 11:30 IST',
            mode: 'in-person',
          },
          recipient: { userId: user.id },
          idempotencyKey: 'appt:ticket:admin',
        }),
      );
      expect((await stream.next()).id).toBe(notificationIds[0]);
    } finally {
      stream.close();
    }
    // An access token is not a ticket, and a ticket expires after a minute.
    const wrong = await fetch(`${a.url}/api/notifications/stream?ticket=${user.token}`);
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { code: string }).code).toBe('STREAM_TICKET_INVALID');
    a.clock.advanceMinutes(2);
    const late = await fetch(`${a.url}/api/notifications/stream?ticket=${issued.body.ticket}`);
    expect(late.status).toBe(401);
    await late.body?.cancel();
  });

  test('when the LISTEN connection breaks the stream ends, and a reconnect with Last-Event-ID misses nothing', async () => {
    const user = await createUser(a, { role: 'clinician' });
    const stream = await openStream(a.url, user.token);
    let lastId: string;
    try {
      expect((await stream.next()).event).toBe('ready');
      lastId = (await newBooking(b, user.id, 'appt:lost:1')).notificationIds[0]!;
      expect((await stream.next()).id).toBe(lastId);
      // The database drops every listening connection (a failover, an idle timeout, ...).
      await a.platform.pool.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and query like 'listen %'`,
      );
      await expect(stream.next()).rejects.toThrow();
    } finally {
      stream.close();
    }
    b.clock.advanceMinutes(1);
    const missed = (await newBooking(b, user.id, 'appt:lost:2')).notificationIds[0]!;
    const again = await openStream(a.url, user.token, lastId);
    try {
      expect((await again.next()).id).toBe(missed);
      expect((await again.next()).event).toBe('ready');
      b.clock.advanceMinutes(1);
      const live = (await newBooking(b, user.id, 'appt:lost:3')).notificationIds[0]!;
      expect((await again.next()).id).toBe(live);
    } finally {
      again.close();
    }
  });

  test('the stream needs a signed-in user', async () => {
    const res = await fetch(`${a.url}/api/notifications/stream`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  test('GET /api/notifications pages newest first; mark-as-read is per user', async () => {
    const user = await createUser(a, { role: 'clinician' });
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      a.clock.advanceMinutes(1);
      ids.push((await newBooking(a, user.id, `appt:list:${i}`, `Patient ${i}`)).notificationIds[0]!);
    }
    const first = await a.http.get('/api/notifications?limit=2', { token: user.token });
    expect(first.status).toBe(200);
    expect(first.body.items.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.unreadCount).toBe(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await a.http.get(`/api/notifications?limit=2&cursor=${first.body.nextCursor}`, {
      token: user.token,
    });
    expect(second.body.items.map((n: { id: string }) => n.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();

    const read = await a.http.post(`/api/notifications/${ids[0]}/read`, undefined, { token: user.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ id: ids[0], readAt: a.clock.now().toISOString() });
    // Someone else's notification is not found, and stays unread.
    const stranger = await a.http.post(`/api/notifications/${ids[1]}/read`, undefined, {
      token: other.token,
    });
    expect(stranger.status).toBe(404);
    const after = await a.http.get('/api/notifications', { token: user.token });
    expect(after.body.unreadCount).toBe(2);

    const all = await a.http.post('/api/notifications/read-all', undefined, { token: user.token });
    expect(all.body).toEqual({ updated: 2 });
    expect((await a.http.get('/api/notifications', { token: user.token })).body.unreadCount).toBe(0);
  });

  test('bad paging input is a 400 problem', async () => {
    const badLimit = await a.http.get('/api/notifications?limit=1000', { token: doctor.token });
    expect(badLimit.status).toBe(400);
    const badCursor = await a.http.get('/api/notifications?cursor=bm9wZQ', { token: doctor.token });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.code).toBe('CURSOR_INVALID');
    const badId = await a.http.post('/api/notifications/not-a-uuid/read', undefined, { token: doctor.token });
    expect(badId.status).toBe(400);
  });

  describe('a stream ends with its session (issue 10)', () => {
    /** Resolves true when the stream ends within `ms`, false if it is still open then. */
    const endsWithin = async (stream: Awaited<ReturnType<typeof openStream>>, ms: number) => {
      const ended = (async () => {
        try {
          for (;;) await stream.next();
        } catch {
          return true;
        }
      })();
      return Promise.race([ended, new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    };

    test('logout on one instance closes the stream held by another within a second', async () => {
      const login = await loginWithOtp(a, nextPhone());
      const stream = await openStream(b.url, login.accessToken);
      try {
        expect((await stream.next()).event).toBe('ready');
        expect(await endsWithin(stream, 200)).toBe(false);
        const out = await a.http.post('/api/patient-auth/logout', { refreshToken: login.refreshToken });
        expect(out.status).toBe(204);
        expect(await endsWithin(stream, 1000)).toBe(true);
      } finally {
        stream.close();
      }
    });

    test('deactivating the user closes their stream', async () => {
      const admin = await createUser(a, { role: 'admin' });
      const clinician = await createUser(a, { role: 'clinician' });
      const stream = await openStream(b.url, clinician.token);
      try {
        expect((await stream.next()).event).toBe('ready');
        const off = await a.http.patch(
          `/api/admin/users/${clinician.id}`,
          { isActive: false },
          { token: admin.token },
        );
        expect(off.status).toBe(200);
        expect(await endsWithin(stream, 1000)).toBe(true);
      } finally {
        stream.close();
      }
    });

    test('a ticket opens one stream only, and none once its session has ended', async () => {
      const login = await loginWithOtp(a, nextPhone());
      const issue = async () =>
        (await a.http.post('/api/notifications/stream-ticket', undefined, { token: login.accessToken })).body
          .ticket;
      const ticket = await issue();
      const first = await openStream(b.url, undefined, undefined, `?ticket=${ticket}`);
      try {
        expect((await first.next()).event).toBe('ready');
      } finally {
        first.close();
      }
      const again = await fetch(`${a.url}/api/notifications/stream?ticket=${ticket}`);
      expect(again.status).toBe(401);
      expect(((await again.json()) as { code: string }).code).toBe('STREAM_TICKET_USED');
      const unused = await issue();
      await a.http.post('/api/patient-auth/logout', { refreshToken: login.refreshToken });
      const afterLogout = await fetch(`${a.url}/api/notifications/stream?ticket=${unused}`);
      expect(afterLogout.status).toBe(401);
      expect(((await afterLogout.json()) as { code: string }).code).toBe('SESSION_REVOKED');
    });
  });
});
