import { afterAll, beforeAll, expect, test } from 'vitest';
import { nextPhone, readOtp } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ captureLogs: true });
});
afterAll(() => t?.close());

test('no phone number, code or token appears in the logs of a full login', async () => {
  const phone = nextPhone();
  const national = phone.slice(3);
  const spaced = `${national.slice(0, 5)} ${national.slice(5)}`;
  const sent = await t.http.post('/api/patient-auth/send-otp', { phone: spaced });
  expect(sent.status).toBe(200);
  const code = (await readOtp(t, phone))!;
  // A wrong try first: failures must not log the code either.
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  expect((await t.http.post('/api/patient-auth/verify-otp', { phone, otp: wrong })).status).toBe(400);
  const login = await t.http.post('/api/patient-auth/verify-otp', {
    phone,
    otp: code,
    fullName: 'Log Test',
    email: 'log.test@example.com',
  });
  expect(login.status).toBe(200);
  const { accessToken, refreshToken } = login.body;
  expect((await t.http.get('/api/patient-dashboard/profile', { token: accessToken })).status).toBe(200);
  const refreshed = await t.http.post('/api/patient-auth/refresh-token', { refreshToken });
  expect(refreshed.status).toBe(200);
  t.clock.advance(11_000); // past the two-tab grace: a reuse now revokes
  expect((await t.http.post('/api/patient-auth/refresh-token', { refreshToken })).status).toBe(401);
  expect(
    (await t.http.post('/api/patient-auth/logout', { refreshToken: refreshed.body.refreshToken })).status,
  ).toBe(204);
  await t.runJobs();

  const logs = t.logs.join('');
  // The capture works: requests to these routes were logged.
  expect(logs).toContain('/api/patient-auth/verify-otp');
  const secrets = [
    phone,
    phone.slice(1),
    national,
    spaced,
    code,
    wrong,
    accessToken,
    accessToken.split('.')[2],
    refreshToken,
    refreshed.body.accessToken,
    refreshed.body.refreshToken,
    'log.test@example.com',
  ];
  for (const secret of secrets)
    expect(logs.includes(secret), `a log line contains ${secret.slice(0, 4)}…`).toBe(false);
});
