import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import type { MessagingModule } from './index.js';

const messagingOf = (t: TestApp) =>
  (t.modules.find((m) => m.name === 'messaging') as MessagingModule).service;

describe('dev inbox', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  test('an OTP requested with no provider configured shows in /dev/inbox, newest first', async () => {
    const messaging = messagingOf(t);
    const phone = '+919812345001';
    await t.platform.uow((tx) =>
      messaging.notify(tx, {
        template: 'otp_verification',
        vars: { code: '111111', minutes: '10' },
        recipient: { phone },
        idempotencyKey: 'otp:test:1',
      }),
    );
    t.clock.advanceMinutes(1);
    await t.platform.uow((tx) =>
      messaging.notify(tx, {
        template: 'otp_verification',
        vars: { code: '222222', minutes: '10' },
        recipient: { phone },
        idempotencyKey: 'otp:test:2',
      }),
    );
    const res = await t.http.get(`/dev/inbox?to=${encodeURIComponent(phone)}`);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(2);
    expect(res.body[0]).toMatchObject({ channel: 'whatsapp', to: phone, template: 'otp_verification' });
    expect(res.body[0].body).toContain('222222');
    expect(res.body[1].body).toContain('111111');
    // The table itself holds the codes only sealed; the dev inbox opens them (development only).
    const stored = await t.platform.pool.query(
      `select n::text as row from notifications n where phone = $1`,
      [phone],
    );
    for (const r of stored.rows) expect(r.row).not.toMatch(/111111|222222/);
    // An unencoded `+` arrives as a space; the inbox still finds the number.
    const unencoded = await t.http.get(`/dev/inbox?to=${phone}`);
    expect(unencoded.body).toHaveLength(2);
    const other = await t.http.get('/dev/inbox?to=%2B919812345999');
    expect(other.body).toEqual([]);
  });

  test('the same idempotency key twice stores one message', async () => {
    const messaging = messagingOf(t);
    const req = {
      template: 'otp_verification' as const,
      vars: { code: '333333', minutes: '10' },
      recipient: { phone: '+919812345002' },
      idempotencyKey: 'otp:test:dup',
    };
    const a = await t.platform.uow((tx) => messaging.notify(tx, req));
    const b = await t.platform.uow((tx) => messaging.notify(tx, req));
    expect(b.notificationIds).toEqual(a.notificationIds);
    const res = await t.http.get('/dev/inbox?to=%2B919812345002');
    expect(res.body).toHaveLength(1);
  });

  test('the same key requested ten times at once stores one message', async () => {
    const phone = '+919812345004';
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        t.platform.uow((tx) =>
          messagingOf(t).notify(tx, {
            template: 'otp_verification',
            vars: { code: '555555', minutes: '10' },
            recipient: { phone },
            idempotencyKey: 'otp:test:race',
          }),
        ),
      ),
    );
    const ids = new Set(results.flatMap((r) => (r.status === 'fulfilled' ? r.value.notificationIds : [])));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(ids.size).toBe(1);
    expect((await t.http.get(`/dev/inbox?to=${encodeURIComponent(phone)}`)).body).toHaveLength(1);
  });

  test('a message requested in a rolled-back transaction is never stored', async () => {
    const messaging = messagingOf(t);
    await expect(
      t.platform.uow(async (tx) => {
        await messaging.notify(tx, {
          template: 'otp_verification',
          vars: { code: '444444', minutes: '10' },
          recipient: { phone: '+919812345003' },
          idempotencyKey: 'otp:test:rollback',
        });
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    expect((await t.http.get('/dev/inbox?to=%2B919812345003')).body).toEqual([]);
  });

  test("a recipient given by user id alone gets the user's phone from identity, plus an in-app copy", async () => {
    const patient = await createUser(t);
    const { notificationIds } = await t.platform.uow((tx) =>
      messagingOf(t).notify(tx, {
        template: 'appointment_confirmed',
        vars: {
          patientName: 'Asha',
          clinicianName: 'Dr Rao',
          startsAt: 'Mon 7 Jan, 11:30 IST',
          mode: 'online',
          place: 'Online',
        },
        recipient: { userId: patient.id },
        idempotencyKey: 'appointment:lookup:confirmed:patient',
      }),
    );
    // WhatsApp (to the console here) and in-app; no email address is known, so no email.
    expect(notificationIds).toHaveLength(2);
    const inbox = await t.http.get(`/dev/inbox?to=${encodeURIComponent(patient.phone)}`);
    expect(inbox.body).toEqual([
      expect.objectContaining({ channel: 'whatsapp', to: patient.phone, template: 'appointment_confirmed' }),
    ]);
    const list = await t.http.get('/api/notifications', { token: patient.token });
    expect(list.body.items).toEqual([
      expect.objectContaining({ template: 'appointment_confirmed', title: 'Appointment confirmed' }),
    ]);
  });

  test('a malformed `to` is a 400 problem', async () => {
    const res = await t.http.get('/dev/inbox?to=x');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  test('without `to` the inbox is a readable page of recent recipients, masked, with no message text', async () => {
    const patient = await createUser(t, { role: 'patient' });
    await t.http.post('/api/patient-auth/send-otp', { phone: patient.phone });
    await t.runJobs();
    const res = await fetch(`${t.url}/dev/inbox`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<h1>Dev inbox</h1>');
    expect(html).toContain(`${patient.phone.slice(0, 5)}•••••${patient.phone.slice(-3)}`);
    expect(html).toContain(`href="/dev/inbox?to=${encodeURIComponent(patient.phone)}"`);
    // The index never shows a message or a code: only the address (in the link) and counts.
    const [code] = (await t.http.get(`/dev/inbox?to=${encodeURIComponent(patient.phone)}`)).body
      .map((m: { body: string }) => /\b(\d{6})\b/.exec(m.body)?.[1])
      .filter(Boolean);
    expect(code).toMatch(/^\d{6}$/);
    expect(html).not.toContain(code);
  });
});

describe('dev inbox in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        NODE_ENV: 'production',
        PUBLIC_URL: 'http://carebook.test',
        // Production refuses to start without a real channel for one-time codes.
        TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
        TWILIO_AUTH_TOKEN: 'test-token',
        TWILIO_FROM: '+15005550006',
        ALLOW_SANDBOX_PAYMENTS: 'true',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  test('answers 404', async () => {
    const res = await t.http.get('/dev/inbox?to=%2B919812345001');
    expect(res.status).toBe(404);
  });
});
