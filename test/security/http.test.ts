import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser } from '../factories/identity.js';
import { startTestApp, type TestApp } from '../support/app.js';

// Issue 10 (6, 7, 8): slow bodies, IPv6 grouping, no-store, webhook limits, /metrics.
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    env: {
      TRUST_PROXY: '1',
      RATE_LIMIT_PER_MINUTE: '3',
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '5',
      REQUEST_TIMEOUT_MS: '1000',
      METRICS_TOKEN: 'kq3W1oZ8xR7mPz2vLc9TfYb4Hn6Js0Ad',
    },
  });
});
afterAll(() => t?.close());

const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

describe('per-IP limits', () => {
  test('IPv6 clients of one /64 share a limit; the next /64 has its own', async () => {
    const statuses = [];
    for (const host of ['a', 'b', 'c', 'd'])
      statuses.push((await t.http.get('/healthz', from(`2001:db8:1:2::${host}`))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await t.http.get('/healthz', from('2001:db8:1:3::a'))).status).toBe(200);
  });

  test('webhook routes have their own, more generous limit', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await t.http.post('/api/payment/webhook/sandbox', {}, from('198.51.100.9'))).status);
    // Unsigned, so 400 each time, until the webhook limit (5 here; users' is 3) is used up.
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
  });
});

test('a request body that trickles in is cut off', async () => {
  const addr = new URL(t.url);
  const socket = net.connect(Number(addr.port), addr.hostname);
  let reply = '';
  socket.on('data', (d) => {
    reply += d.toString();
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(
    `POST /api/patient-auth/send-otp HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.200\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{`,
  );
  // One byte every 200 ms would take 40 s; the server stops waiting long before.
  let sent = 0;
  const drip = setInterval(() => {
    if (!socket.destroyed) socket.write(' ');
    sent++;
  }, 200);
  await closed;
  clearInterval(drip);
  expect(sent).toBeLessThan(199);
  expect(reply).toMatch(/^HTTP\/1\.1 408/);
});

test('a body over the small limit of an unauthenticated route is a 413', async () => {
  const res = await t.http.post(
    '/api/patient-auth/send-otp',
    { phone: '1'.repeat(8000) },
    from('192.0.2.201'),
  );
  expect(res.status).toBe(413);
});

test('API replies are not cached: Cache-Control no-store', async () => {
  const patient = await createUser(t);
  const res = await t.http.get('/api/patient-dashboard/profile', {
    token: patient.token,
    ...from('192.0.2.202'),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
});

test('/metrics wants the bearer token', async () => {
  expect((await t.http.get('/metrics', from('192.0.2.203'))).status).toBe(401);
  const ok = await t.http.get('/metrics', {
    headers: { 'x-forwarded-for': '192.0.2.203', authorization: 'Bearer kq3W1oZ8xR7mPz2vLc9TfYb4Hn6Js0Ad' },
  });
  expect(ok.status).toBe(200);
  expect(ok.body).toContain('http_request_duration_seconds');
});
