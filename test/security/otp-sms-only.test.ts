import { afterAll, beforeAll, expect, test } from 'vitest';
import { nextPhone } from '../factories/identity.js';
import { type FakeServer, startFakeServer } from '../fakes/http-server.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { randomSecrets } from './support.js';

// Issue 10 (1): production with SMS only. The code must leave by SMS (not the console channel), and
// no table may hold it in clear text.
let t: TestApp;
let twilio: FakeServer;

beforeAll(async () => {
  twilio = await startFakeServer(() => ({
    status: 201,
    body: { sid: 'SM00000000000000000000000000000sec' },
  }));
  t = await startTestApp({
    env: {
      NODE_ENV: 'production',
      ...randomSecrets(),
      STRIPE_SECRET_KEY: 'sk_test_security',
      STRIPE_WEBHOOK_SECRET: 'whsec_security',
      TWILIO_ACCOUNT_SID: 'AC0000000000000000000000000000sec',
      TWILIO_AUTH_TOKEN: 'tw-token-security',
      TWILIO_FROM: '+15005550006',
      TWILIO_API_URL: twilio.url,
    },
  });
});
afterAll(async () => {
  await t?.close();
  await twilio?.close();
});

/** Every row of every table in the public schema, as text. */
async function everyRow(): Promise<string> {
  const tables = await t.platform.pool.query<{ name: string }>(
    `select quote_ident(table_name) as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const dumps: string[] = [];
  for (const { name } of tables.rows) {
    const { rows } = await t.platform.pool.query(`select t::text as row from ${name} t`);
    dumps.push(...rows.map((r) => r.row as string));
  }
  return dumps.join('\n');
}

test('the login code goes to the SMS provider, signs in, and no table holds it in clear text', async () => {
  const phone = nextPhone();
  expect((await t.http.post('/api/patient-auth/send-otp', { phone })).status).toBe(200);
  const queued = await t.platform.pool.query(
    `select channel, provider, body, vars::text as vars from notifications where phone = $1`,
    [phone],
  );
  expect(queued.rows).toEqual([expect.objectContaining({ channel: 'sms', provider: 'twilio', body: null })]);
  await t.runJobs();
  expect(twilio.requests).toHaveLength(1);
  const form = new URLSearchParams(twilio.requests[0]!.body);
  expect(form.get('To')).toBe(phone);
  const code = form.get('Body')?.match(/\b(\d{6})\b/)?.[1];
  expect(code).toMatch(/^\d{6}$/);
  // Before the delivery ran, the queued row held the code only sealed.
  expect(queued.rows[0].vars).not.toContain(code!);
  expect(await everyRow()).not.toMatch(new RegExp(`\\b${code}\\b`));
  const login = await t.http.post('/api/patient-auth/verify-otp', { phone, otp: code });
  expect(login.status).toBe(200);
  expect(await everyRow()).not.toMatch(new RegExp(`\\b${code}\\b`));
  // The development inbox does not exist in production.
  expect((await t.http.get(`/dev/inbox?to=${encodeURIComponent(phone)}`)).status).toBe(404);
});
