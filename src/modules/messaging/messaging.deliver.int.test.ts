import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type FakeHandler, type FakeServer, startFakeServer } from '../../../test/fakes/http-server.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { waitFor } from '../../../test/support/wait.js';
import type { MessagingModule } from './index.js';

const GALLABOX = { key: 'gb-key-123', secret: 'gb-secret-456', channel: 'gb-channel-789' };
const TWILIO = { sid: 'AC0123456789abcdef0123456789abcdef', token: 'tw-token-xyz', from: '+15005550006' };

let t: TestApp;
let gallabox: FakeServer;
let twilio: FakeServer;
let gallaboxReply: FakeHandler;
let twilioReply: FakeHandler;
let smtp: SMTPServer;
const mails: Array<{ from: string; to: string[]; raw: string }> = [];
let rejectRcpt = false;
let phoneSeq = 0;

const nextPhone = () =>
  `+9198765${String(process.pid % 100).padStart(2, '0')}${String(++phoneSeq).padStart(3, '0')}`;
const messaging = () => (t.modules.find((m) => m.name === 'messaging') as MessagingModule).service;
const deliverHandler = () =>
  t.modules.flatMap((m) => m.jobs ?? []).find((j) => j.def.name === 'messaging.deliver')!.handler;
const rowsFor = async (key: string) =>
  (
    await t.platform.pool.query(
      'select id, channel, provider, status, attempts, provider_message_id, error, vars from notifications where idempotency_key = $1 order by created_at, channel',
      [key],
    )
  ).rows;

const otp = (phone: string, key: string, channels?: Array<'whatsapp' | 'sms'>) =>
  t.platform.uow((tx) =>
    messaging().notify(tx, {
      template: 'otp_verification',
      vars: { code: '482913', minutes: '10' },
      recipient: { phone },
      idempotencyKey: key,
      channels,
    }),
  );

beforeAll(async () => {
  gallabox = await startFakeServer((req, i) => gallaboxReply(req, i));
  twilio = await startFakeServer((req, i) => twilioReply(req, i));
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, cb) {
      if (rejectRcpt) {
        const err = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  t = await startTestApp({
    captureLogs: true,
    env: {
      GALLABOX_API_KEY: GALLABOX.key,
      GALLABOX_API_SECRET: GALLABOX.secret,
      GALLABOX_CHANNEL_ID: GALLABOX.channel,
      GALLABOX_API_URL: gallabox.url,
      TWILIO_ACCOUNT_SID: TWILIO.sid,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      TWILIO_FROM: TWILIO.from,
      TWILIO_API_URL: twilio.url,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      EMAIL_FROM: 'Carebook <no-reply@carebook.test>',
    },
  });
});

afterAll(async () => {
  await t?.close();
  await gallabox?.close();
  await twilio?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

beforeEach(() => {
  gallabox.requests.length = 0;
  twilio.requests.length = 0;
  mails.length = 0;
  rejectRcpt = false;
  gallaboxReply = () => ({
    status: 200,
    body: { id: 'gb-msg-1', status: 'ACCEPTED', message: 'Message received' },
  });
  twilioReply = () => ({
    status: 201,
    body: { sid: 'SM00000000000000000000000000000001', status: 'queued' },
  });
});

describe('WhatsApp through Gallabox', () => {
  test('the provider gets the exact template request; a 500 then a success is one delivered message', async () => {
    const phone = nextPhone();
    gallaboxReply = (_req, i) =>
      i === 0
        ? { status: 500, body: { message: 'upstream hiccup' } }
        : { status: 200, body: { id: 'gb-777', status: 'ACCEPTED' } };
    await otp(phone, 'otp:gb:1');
    await t.runJobs();

    expect(gallabox.requests).toHaveLength(2);
    for (const req of gallabox.requests) {
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/devapi/messages/whatsapp');
      expect(req.headers.apikey).toBe(GALLABOX.key);
      expect(req.headers.apisecret).toBe(GALLABOX.secret);
      expect(req.headers['content-type']).toBe('application/json');
      expect(JSON.parse(req.body)).toEqual({
        channelId: GALLABOX.channel,
        channelType: 'whatsapp',
        recipient: { name: 'Carebook user', phone: phone.slice(1) },
        whatsapp: {
          type: 'template',
          template: { templateName: 'otp_verification', bodyValues: { code: '482913', minutes: '10' } },
        },
      });
    }
    const rows = await rowsFor('otp:gb:1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ channel: 'whatsapp', provider: 'gallabox', status: 'sent', attempts: 2 });
    expect(rows[0].provider_message_id).toBe('gb-777');
    // The code does not stay in the outbox once delivered.
    expect(rows[0].vars).toEqual({});
    expect(twilio.requests).toHaveLength(0);
    expect(await t.runJobs()).toBe(0);
    const metrics = await fetch(`${t.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain('messaging_delivery_attempts_total{channel="whatsapp",outcome="retry"} 1');
    expect(metrics).toContain('messaging_delivery_attempts_total{channel="whatsapp",outcome="sent"} 1');
  });

  test('a 400 fails at once with no retry', async () => {
    gallaboxReply = () => ({ status: 400, body: { message: 'template not approved' } });
    await otp(nextPhone(), 'otp:gb:400', ['whatsapp']);
    await t.runJobs();
    expect(gallabox.requests).toHaveLength(1);
    const [row] = await rowsFor('otp:gb:400');
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.error).toContain('HTTP 400');
    expect(await t.runJobs()).toBe(0);
    expect(gallabox.requests).toHaveLength(1);
  });

  test('5xx retries are bounded: five attempts, then failed', async () => {
    gallaboxReply = () => ({ status: 503, body: {} });
    await otp(nextPhone(), 'otp:gb:503', ['whatsapp']);
    await t.runJobs();
    expect(gallabox.requests).toHaveLength(5);
    const [row] = await rowsFor('otp:gb:503');
    expect(row).toMatchObject({ status: 'failed', attempts: 5 });
  });

  test('an OTP whose WhatsApp send fails permanently goes by SMS through Twilio', async () => {
    const phone = nextPhone();
    gallaboxReply = () => ({ status: 400, body: { message: 'not a WhatsApp number' } });
    await otp(phone, 'otp:fallback');
    await t.runJobs();
    expect(gallabox.requests).toHaveLength(1);
    expect(twilio.requests).toHaveLength(1);
    const req = twilio.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/2010-04-01/Accounts/${TWILIO.sid}/Messages.json`);
    expect(req.headers.authorization).toBe(
      `Basic ${Buffer.from(`${TWILIO.sid}:${TWILIO.token}`).toString('base64')}`,
    );
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(req.body);
    expect(form.get('To')).toBe(phone);
    expect(form.get('From')).toBe(TWILIO.from);
    expect(form.get('Body')).toContain('482913 is your Carebook login code');
    const rows = await rowsFor('otp:fallback');
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ['sms', 'sent'],
      ['whatsapp', 'failed'],
    ]);
    expect(rows[0].provider_message_id).toBe('SM00000000000000000000000000000001');
  });
});

describe('never twice, never from a rollback', () => {
  test('a message requested in a rolled-back transaction is never sent', async () => {
    await expect(
      t.platform.uow(async (tx) => {
        await messaging().notify(tx, {
          template: 'otp_verification',
          vars: { code: '000111', minutes: '10' },
          recipient: { phone: nextPhone() },
          idempotencyKey: 'otp:rolled-back',
        });
        throw new Error('booking failed');
      }),
    ).rejects.toThrow('booking failed');
    await t.runJobs();
    expect(gallabox.requests).toHaveLength(0);
    expect(await rowsFor('otp:rolled-back')).toEqual([]);
  });

  test('a job retried while the first run is still sending (job timeout) does not send again', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    gallaboxReply = async () => {
      await held;
      return { status: 200, body: { id: 'gb-slow' } };
    };
    const { notificationIds } = await otp(nextPhone(), 'otp:slow', ['whatsapp']);
    const notificationId = notificationIds[0]!;
    const deliver = deliverHandler();
    const first = deliver({ notificationId }, { id: 'a', retryCount: 0 });
    await waitFor(
      () => gallabox.requests.length,
      (n) => n > 0,
      { withinMs: 10_000, what: 'the provider call to start' },
    );
    // pg-boss gives up on the first run and starts the job again while the provider call is in flight.
    await expect(deliver({ notificationId }, { id: 'a', retryCount: 1 })).rejects.toThrow('is being sent');
    release();
    await first;
    await deliver({ notificationId }, { id: 'a', retryCount: 2 });
    await t.runJobs();
    expect(gallabox.requests).toHaveLength(1);
    const [row] = await rowsFor('otp:slow');
    expect(row).toMatchObject({ status: 'sent', attempts: 1, provider_message_id: 'gb-slow' });
  });

  test('a row left mid-send by a dead worker is never sent again', async () => {
    const { notificationIds } = await otp(nextPhone(), 'otp:dead-worker', ['whatsapp']);
    // The worker claimed it and died before recording the outcome.
    await t.platform.pool.query(
      `update notifications set status = 'sending', attempts = 1, claimed_at = $2 where id = $1`,
      [notificationIds[0], new Date(t.clock.now().getTime() - 10 * 60_000)],
    );
    await t.runJobs();
    expect(gallabox.requests).toHaveLength(0);
    const [row] = await rowsFor('otp:dead-worker');
    expect(row.status).toBe('failed');
    expect(row.error).toContain('DELIVERY_OUTCOME_UNKNOWN');
  });

  test('parallel jobs for one notification send it once', async () => {
    const { notificationIds } = await otp(nextPhone(), 'otp:parallel', ['whatsapp']);
    const deliver = deliverHandler();
    const runs = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        deliver({ notificationId: notificationIds[0]! }, { id: 'p', retryCount: i }),
      ),
    );
    expect(runs.some((r) => r.status === 'fulfilled')).toBe(true);
    await t.runJobs();
    expect(gallabox.requests).toHaveLength(1);
    expect((await rowsFor('otp:parallel'))[0]).toMatchObject({ status: 'sent', attempts: 1 });
  });

  test('an unreachable provider counts as a retryable failure', async () => {
    const down = await startFakeServer(() => ({ status: 200 }));
    await down.close();
    const other = await startTestApp({
      databaseUrl: t.platform.config.db.url,
      env: {
        GALLABOX_API_KEY: GALLABOX.key,
        GALLABOX_API_SECRET: GALLABOX.secret,
        GALLABOX_CHANNEL_ID: GALLABOX.channel,
        GALLABOX_API_URL: down.url,
      },
    });
    try {
      const service = (other.modules.find((m) => m.name === 'messaging') as MessagingModule).service;
      await other.platform.uow((tx) =>
        service.notify(tx, {
          template: 'otp_verification',
          vars: { code: '999000', minutes: '10' },
          recipient: { phone: nextPhone() },
          idempotencyKey: 'otp:down',
          channels: ['whatsapp'],
        }),
      );
      await other.runJobs({ names: ['messaging.deliver'] });
    } finally {
      await other.close();
    }
    const [row] = await rowsFor('otp:down');
    expect(row).toMatchObject({ status: 'failed', attempts: 5 });
    expect(row.error).toContain('network error');
  });
});

describe('email over SMTP', () => {
  test('the SMTP server receives the rendered subject and body', async () => {
    const key = 'appt:1:confirmed:patient';
    await t.platform.uow((tx) =>
      messaging().notify(tx, {
        template: 'appointment_confirmed',
        vars: {
          patientName: 'Asha Rao',
          clinicianName: 'Dr Vikram Shah',
          startsAt: 'Mon 7 Jan 2030, 11:30 IST',
          mode: 'online',
          place: 'Online',
        },
        recipient: { email: 'asha@example.test' },
        idempotencyKey: key,
      }),
    );
    await t.runJobs();
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.to).toEqual(['asha@example.test']);
    expect(mail.from).toBe('no-reply@carebook.test');
    const raw = mail.raw.replace(/=\r?\n/g, '');
    expect(raw).toMatch(/^Subject: Carebook: Appointment confirmed$/m);
    expect(raw).toContain(
      'Hi Asha Rao, your online appointment with Dr Vikram Shah on Mon 7 Jan 2030, 11:30 IST is confirmed.',
    );
    expect(raw).toContain('text/html');
    const [row] = await rowsFor(key);
    expect(row).toMatchObject({ channel: 'email', provider: 'smtp', status: 'sent' });
    expect(row.provider_message_id).toMatch(/@carebook>$/);
  });

  test('a 550 rejection fails the email at once', async () => {
    rejectRcpt = true;
    const key = 'refund:1:patient';
    await t.platform.uow((tx) =>
      messaging().notify(tx, {
        template: 'refund_processed',
        vars: { patientName: 'Asha', amount: 'INR 299.00', reference: 'rf_1' },
        recipient: { email: 'nobody@example.test' },
        idempotencyKey: key,
      }),
    );
    await t.runJobs();
    const [row] = await rowsFor(key);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.error).toBe('SMTP 550');
    expect(mails).toHaveLength(0);
  });
});

describe('logs', () => {
  test('no log line carries a phone number, an email address, a code, a secret or message text', () => {
    const logs = t.logs.join('\n');
    expect(logs).toContain('message delivery attempt');
    expect(logs).not.toMatch(/\+?9198765\d{5}/);
    expect(logs).not.toContain('asha@example.test');
    expect(logs).not.toContain('482913');
    expect(logs).not.toContain(GALLABOX.secret);
    expect(logs).not.toContain(TWILIO.token);
    expect(logs).not.toContain('Dr Vikram Shah');
  });
});
