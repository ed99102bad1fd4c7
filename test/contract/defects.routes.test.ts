import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BookingScene, bookAndPay, bookingScene, initiate } from '../factories/booking.js';

/** Regression tests for issue 11's defects: each answered 5xx or the wrong shape before. */
let s: BookingScene;
beforeAll(async () => {
  s = await bookingScene();
});
afterAll(() => s?.t.close());

const isProblem = (res: { status: number; headers: Headers; body: any }, status: number, code?: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, ...(code ? { code } : {}) });
};

/** Sends raw bytes over a socket and returns the reply (status line, headers, body). */
async function rawHttp(port: number, request: string): Promise<{ status: number; type: string; body: any }> {
  const text = await new Promise<string>((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(request));
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
    });
    sock.on('end', () => resolve(buf));
    sock.on('close', () => resolve(buf));
    sock.on('error', reject);
  });
  const [head, ...rest] = text.split('\r\n\r\n');
  const status = Number(head!.split(' ')[1]);
  const type = /content-type: ([^\r\n]+)/i.exec(head!)?.[1] ?? '';
  return { status, type, body: JSON.parse(rest.join('\r\n\r\n')) };
}

describe('framework errors answer problem+json', () => {
  test('a bad URL encoding is a 400 BAD_URL', async () => {
    const res = await s.t.http.get('/api/clinicians/%E0%A4%A');
    isProblem(res, 400, 'BAD_URL');
  });

  test('a path parameter over its limit is a 414', async () => {
    const res = await s.t.http.get(`/api/clinicians/${'a'.repeat(500)}`);
    isProblem(res, 414, 'URI_TOO_LONG');
  });

  test('headers over the size limit are a 431', async () => {
    const port = Number(new URL(s.t.url).port);
    const res = await rawHttp(
      port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(431);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });

  test('a text/plain body is a 415 like any other unknown media type', async () => {
    const res = await s.t.http.request('POST', '/api/patient-auth/send-otp', {
      raw: 'phone=+919876543210',
      headers: { 'content-type': 'text/plain' },
    });
    isProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('401 before 400', () => {
  test.each([
    ['POST', '/api/admin/users', {}],
    ['POST', '/api/booking/initiate', { clinicianId: 'nope' }],
    ['PUT', '/api/patient-dashboard/profile', { fullName: 5 }],
    ['POST', '/api/patients', {}],
  ] as const)('%s %s without a token answers 401 whatever the body', async (method, path, body) => {
    const res = await s.t.http.request(method, path, { body });
    isProblem(res, 401, 'UNAUTHORIZED');
  });

  test('with a token of the wrong role: 403 before 400', async () => {
    const res = await s.t.http.post('/api/admin/users', {}, { token: s.alice.token });
    isProblem(res, 403, 'FORBIDDEN');
  });
});

describe('NUL bytes are a 400 naming the field, never a 500', () => {
  test.each([
    ['PUT', '/api/patient-dashboard/profile', { fullName: 'A\u0000B' }, 'body.fullName', 'alice'],
    [
      'POST',
      '/api/admin/users',
      { role: 'staff', phone: '+919812345678', fullName: 'x\u0000' },
      'body.fullName',
      'admin',
    ],
    [
      'POST',
      '/api/admin/centres',
      { name: 'C\u0000', city: 'x', address: 'y', timeZone: 'Asia/Kolkata' },
      'body.name',
      'admin',
    ],
    [
      'POST',
      '/api/patient-auth/verify-otp',
      { phone: '+919812345670', otp: '123456', fullName: '\u0000' },
      'body.fullName',
      null,
    ],
  ] as const)('%s %s', async (method, path, body, field, who) => {
    const token = who ? s[who].token : undefined;
    const res = await s.t.http.request(method, path, { body, token });
    isProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toContainEqual({ path: field, message: expect.stringContaining('NUL') });
  });

  test('in a query string too (audit search)', async () => {
    const res = await s.t.http.get('/api/admin/audit?resourceType=a%00b', { token: s.admin.token });
    isProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors[0].path).toBe('query.resourceType');
  });

  test('in time off reason', async () => {
    const res = await s.t.http.post(
      `/api/clinicians/${s.doc.id}/time-off`,
      // Valid times (tomorrow, after the test clock's now): only the NUL byte is wrong.
      {
        startAt: s.t.clock.at(1, '00:00').toISOString(),
        endAt: s.t.clock.at(2, '00:00').toISOString(),
        reason: 'x\u0000',
      },
      { token: s.admin.token },
    );
    isProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.reason']);
  });
});

describe('far-future dates are bounded', () => {
  test('slot search on 9999-12-31 is a 400, without signing in', async () => {
    isProblem(await s.t.http.get('/api/slots?date=9999-12-31'), 400, 'VALIDATION_FAILED');
  });

  test("a clinician's slots from 9999-12-30 is a 400", async () => {
    isProblem(
      await s.t.http.get(`/api/clinicians/${s.doc.id}/slots?from=9999-12-30`),
      400,
      'VALIDATION_FAILED',
    );
  });

  test('initiate in year 9999 is a 400', async () => {
    const res = await initiate(s.t, s.alice, {
      clinicianId: s.doc.id,
      startAt: '9999-12-30T10:00:00+05:30',
      mode: 'online',
    });
    isProblem(res, 400);
  });

  test('a slot past the booking horizon (180 days) cannot be held; one inside it can', async () => {
    const far = await initiate(s.t, s.alice, {
      clinicianId: s.doc.id,
      startAt: s.slot(200, '10:00'),
      mode: 'online',
    });
    isProblem(far, 400, 'BEYOND_BOOKING_HORIZON');
    const near = await initiate(s.t, s.alice, {
      clinicianId: s.doc.id,
      startAt: s.slot(170, '10:00'),
      mode: 'online',
    });
    expect(near.status, JSON.stringify(near.body)).toBe(201);
  });
});

describe('small contract breaks', () => {
  test('cancel without a body works', async () => {
    const c = await bookAndPay(s.t, s.bob, s.doc.id, s.slot(9, '11:00'));
    const res = await fetch(`${s.t.url}/api/patient-dashboard/appointments/${c.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.bob.token}` },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as any).appointment.status).toBe('CANCELLED');
  });

  test('cancel with a JSON content type and an empty body works too', async () => {
    const c = await bookAndPay(s.t, s.bob, s.doc.id, s.slot(10, '11:00'));
    const res = await s.t.http.request('POST', `/api/patient-dashboard/appointments/${c.id}/cancel`, {
      raw: '',
      token: s.bob.token,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});
