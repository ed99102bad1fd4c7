import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { nextPhone } from './factories/identity.js';
import { type FakeHandler, type FakeServer, startFakeServer } from './fakes/http-server.js';
import { startTestApp, type TestApp } from './support/app.js';

// Login codes leave through the real messaging code to local stand-ins of Gallabox and Twilio.
const GALLABOX = { key: 'gb-key-otp', secret: 'gb-secret-otp', channel: 'gb-channel-otp' };
const TWILIO = { sid: 'AC00000000000000000000000000000otp', token: 'tw-token-otp', from: '+15005550006' };

let t: TestApp;
let gallabox: FakeServer;
let twilio: FakeServer;
let gallaboxReply: FakeHandler;

beforeAll(async () => {
  gallabox = await startFakeServer((req, i) => gallaboxReply(req, i));
  twilio = await startFakeServer(() => ({
    status: 201,
    body: { sid: 'SM0000000000000000000000000000otp', status: 'queued' },
  }));
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
    },
  });
});
afterAll(async () => {
  await t?.close();
  await gallabox?.close();
  await twilio?.close();
});
beforeEach(() => {
  gallabox.requests.length = 0;
  twilio.requests.length = 0;
  gallaboxReply = () => ({ status: 200, body: { id: 'gb-otp-1', status: 'ACCEPTED' } });
  t.clock.advanceMinutes(61);
});

const verify = (phone: string, otp: string) => t.http.post('/api/patient-auth/verify-otp', { phone, otp });

test('a login code goes over WhatsApp with the otp_verification template, and it signs the patient in', async () => {
  const phone = nextPhone();
  expect((await t.http.post('/api/patient-auth/send-otp', { phone })).status).toBe(200);
  // Nothing leaves before the transaction commits and the delivery job runs.
  expect(gallabox.requests).toHaveLength(0);
  await t.runJobs();
  expect(gallabox.requests).toHaveLength(1);
  const sent = JSON.parse(gallabox.requests[0]!.body);
  expect(sent).toMatchObject({
    channelId: GALLABOX.channel,
    recipient: { phone: phone.slice(1) },
    whatsapp: {
      type: 'template',
      template: { templateName: 'otp_verification', bodyValues: { minutes: '10' } },
    },
  });
  const code = sent.whatsapp.template.bodyValues.code as string;
  expect(code).toMatch(/^\d{6}$/);
  expect(twilio.requests).toHaveLength(0);
  const login = await verify(phone, code);
  expect(login).toMatchObject({ status: 200, body: { isNewUser: true, user: { phone } } });
  // The code is not kept in the outbox once delivered.
  const { rows } = await t.platform.pool.query('select vars::text as v from notifications where phone = $1', [
    phone,
  ]);
  for (const r of rows) expect(r.v).not.toContain(code);
});

test('when WhatsApp refuses the number, the code goes by SMS and still works', async () => {
  gallaboxReply = () => ({ status: 400, body: { message: 'not a WhatsApp number' } });
  const phone = nextPhone();
  await t.http.post('/api/patient-auth/send-otp', { phone });
  await t.runJobs();
  expect(gallabox.requests).toHaveLength(1);
  expect(twilio.requests).toHaveLength(1);
  const form = new URLSearchParams(twilio.requests[0]!.body);
  expect(form.get('To')).toBe(phone);
  const code = form.get('Body')?.match(/\b(\d{6})\b/)?.[1];
  expect(code).toBeDefined();
  expect((await verify(phone, code!)).status).toBe(200);

  const logs = t.logs.join('');
  expect(logs).toContain('/api/patient-auth/send-otp');
  for (const secret of [phone, phone.slice(1), phone.slice(3), code!])
    expect(logs.includes(secret), 'a log line holds a phone number or a code').toBe(false);
});
