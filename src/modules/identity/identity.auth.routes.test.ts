import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createUser, loginWithOtp, nextPhone, readOtp } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());
// Every test starts past the hourly windows of the one before (all requests come from 127.0.0.1).
beforeEach(() => void t.clock.advanceMinutes(61));

const send = (phone: string, base = '/api/patient-auth') => t.http.post(`${base}/send-otp`, { phone });
const verify = (phone: string, otp: string, extra: object = {}, base = '/api/patient-auth') =>
  t.http.post(`${base}/verify-otp`, { phone, otp, ...extra });
const count = async (sql: string, values: unknown[] = []) =>
  (await t.platform.pool.query<{ n: number }>(sql, values)).rows[0]!.n;
const national = (e164: string) => `${e164.slice(3, 8)} ${e164.slice(8)}`;
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('patient OTP login', () => {
  test('a new phone becomes a patient; national and international forms are one person', async () => {
    const phone = nextPhone();
    const sent = await send(national(phone));
    expect(sent).toMatchObject({ status: 200, body: { expiresInSeconds: 600 } });
    const code = await readOtp(t, phone);
    expect(code).toMatch(/^\d{6}$/);
    const stored = await t.platform.pool.query('select otp_hash from otp_requests where phone = $1', [phone]);
    expect(stored.rows[0].otp_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.rows[0].otp_hash).not.toContain(code);

    const res = await verify(`+91 ${national(phone)}`, code!, {
      fullName: 'Kavya Patel',
      email: 'kavya@example.com',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      isNewUser: true,
      user: { phone, fullName: 'Kavya Patel', email: 'kavya@example.com', role: 'patient' },
    });
    expect(
      await count('select count(*)::int as n from patient_profiles where user_id = $1', [res.body.user.id]),
    ).toBe(1);
    const me = await t.http.get('/api/auth/me', { token: res.body.accessToken });
    expect(me).toMatchObject({ status: 200, body: { id: res.body.user.id, role: 'patient' } });
  });

  test('a returning patient gets the same account, and a login never overwrites a saved name', async () => {
    const phone = nextPhone();
    const first = await loginWithOtp(t, phone, { fullName: 'First Name' });
    t.clock.advanceMinutes(1);
    const again = await loginWithOtp(t, phone, { fullName: 'Other Name', email: 'later@example.com' });
    expect(again.isNewUser).toBe(false);
    expect(again.user).toMatchObject({
      id: first.user.id,
      fullName: 'First Name',
      email: 'later@example.com',
    });
    expect(again.refreshToken).not.toBe(first.refreshToken);
    expect(await count('select count(*)::int as n from users where phone = $1', [phone])).toBe(1);
  });

  test('an invalid phone number is a 400 and stores nothing', async () => {
    const before = await count('select count(*)::int as n from otp_requests');
    for (const phone of ['12345', '+91 98765 4321', 'call me maybe']) {
      const res = await send(phone);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(['PHONE_INVALID', 'VALIDATION_FAILED']).toContain(res.body.code);
    }
    expect((await verify('12345', '123456')).body.code).toBe('PHONE_INVALID');
    expect((await verify(nextPhone(), '12a456')).body.code).toBe('VALIDATION_FAILED');
    expect(await count('select count(*)::int as n from otp_requests')).toBe(before);
  });

  test('five wrong codes lock the code, even for the right one afterwards', async () => {
    const phone = nextPhone();
    await send(phone);
    const code = (await readOtp(t, phone))!;
    for (let i = 1; i <= 5; i++) {
      const res = await verify(phone, wrongCode(code));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'OTP_INVALID', attemptsLeft: 5 - i });
    }
    const locked = await verify(phone, code);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('OTP_LOCKED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const row = await t.platform.pool.query(
      'select attempts, locked_at, consumed_at from otp_requests where phone = $1',
      [phone],
    );
    expect(row.rows[0]).toMatchObject({ attempts: 5, consumed_at: null });
    expect(row.rows[0].locked_at).not.toBeNull();
    expect(await count('select count(*)::int as n from users where phone = $1', [phone])).toBe(0);
  });

  test('parallel wrong guesses are counted exactly: five are answered, the rest find the code locked', async () => {
    const phone = nextPhone();
    await send(phone);
    const code = (await readOtp(t, phone))!;
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => verify(phone, wrongCode(code))),
    );
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0)).sort();
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    expect(await count('select attempts as n from otp_requests where phone = $1', [phone])).toBe(5);
  });

  test('an expired code fails, and so does a used one', async () => {
    const phone = nextPhone();
    await send(phone);
    const code = (await readOtp(t, phone))!;
    t.clock.advanceMinutes(10);
    expect((await verify(phone, code)).body).toMatchObject({ status: 400, code: 'OTP_EXPIRED' });

    t.clock.advanceMinutes(1);
    await send(phone);
    const fresh = (await readOtp(t, phone))!;
    expect((await verify(phone, fresh)).status).toBe(200);
    const reused = await verify(phone, fresh);
    expect(reused.body).toMatchObject({ status: 400, code: 'OTP_INVALID' });
  });

  test('one code signs in once, however many verify at the same moment', async () => {
    const phone = nextPhone();
    await send(phone);
    const code = (await readOtp(t, phone))!;
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => verify(phone, code)));
    const ok = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200);
    expect(ok).toHaveLength(1);
    expect(await count('select count(*)::int as n from users where phone = $1', [phone])).toBe(1);
    expect(
      await count(
        'select count(*)::int as n from auth_sessions s join users u on u.id = s.user_id where u.phone = $1',
        [phone],
      ),
    ).toBe(1);
  });
});

describe('OTP limits', () => {
  test('a resend inside the 30-second cooldown is a 429 with Retry-After; the newest code replaces the old', async () => {
    const phone = nextPhone();
    expect((await send(phone)).status).toBe(200);
    const first = (await readOtp(t, phone))!;
    t.clock.advance(10_000);
    const early = await send(phone);
    expect(early.status).toBe(429);
    expect(early.body.code).toBe('OTP_COOLDOWN');
    expect(early.headers.get('retry-after')).toBe('20');
    expect(await count('select count(*)::int as n from otp_requests where phone = $1', [phone])).toBe(1);

    t.clock.advance(20_000);
    expect((await send(phone)).status).toBe(200);
    const second = (await readOtp(t, phone))!;
    if (second !== first) expect((await verify(phone, first)).body.code).toBe('OTP_INVALID');
    expect((await verify(phone, second)).status).toBe(200);
  });

  test('parallel sends for one phone: one code, the rest wait for the cooldown', async () => {
    const phone = nextPhone();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => send(phone)));
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    expect(await count('select count(*)::int as n from otp_requests where phone = $1', [phone])).toBe(1);
  });

  test('at most five codes per phone per hour', async () => {
    const phone = nextPhone();
    for (let i = 0; i < 5; i++) {
      expect((await send(phone)).status).toBe(200);
      t.clock.advance(31_000);
    }
    const res = await send(phone);
    expect(res).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(3000);
    t.clock.advanceMinutes(60);
    expect((await send(phone)).status).toBe(200);
  });

  test('the per-IP limit holds across many phones, also when they arrive at once', async () => {
    const phones = Array.from({ length: 36 }, () => nextPhone());
    const results = await Promise.allSettled(phones.map((p) => send(p)));
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    const refused = results.flatMap((r) =>
      r.status === 'fulfilled' && r.value.status === 429 ? [r.value] : [],
    );
    expect(refused).toHaveLength(6);
    for (const r of refused) {
      expect(r.body.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(await count('select count(*)::int as n from otp_requests where phone = any($1)', [phones])).toBe(
      30,
    );
    expect(await count('select count(*)::int as n from notifications where phone = any($1)', [phones])).toBe(
      30,
    );
  });
});

describe('tokens', () => {
  test('refresh rotates the token; reusing a rotated one revokes the whole family', async () => {
    const login = await loginWithOtp(t, nextPhone());
    const r1 = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: login.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(login.refreshToken);
    expect((await t.http.get('/api/auth/me', { token: r1.body.accessToken })).status).toBe(200);
    const r2 = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: r1.body.refreshToken });
    expect(r2.status).toBe(200);

    t.clock.advance(11_000); // past the two-tab grace
    const reuse = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: login.refreshToken });
    expect(reuse).toMatchObject({ status: 401, body: { code: 'TOKEN_REUSED' } });
    // Every token of that login is now dead: the newest refresh token and every access token.
    const latest = await t.http.post('/api/patient-auth/refresh-token', {
      refreshToken: r2.body.refreshToken,
    });
    expect(latest).toMatchObject({ status: 401, body: { code: 'SESSION_REVOKED' } });
    for (const token of [login.accessToken, r1.body.accessToken, r2.body.accessToken])
      expect((await t.http.get('/api/auth/me', { token })).body.code).toBe('SESSION_REVOKED');
  });

  test('two tabs refreshing one token at once both get the same new refresh token; the family lives', async () => {
    const login = await loginWithOtp(t, nextPhone());
    const results = await Promise.allSettled(
      [1, 2].map(() => t.http.post('/api/patient-auth/refresh-token', { refreshToken: login.refreshToken })),
    );
    const replies = results.map((r) => (r.status === 'fulfilled' ? r.value : null));
    expect(replies.map((r) => r?.status)).toEqual([200, 200]);
    expect(replies[0]!.body.refreshToken).toBe(replies[1]!.body.refreshToken);
    for (const r of replies)
      expect((await t.http.get('/api/auth/me', { token: r!.body.accessToken })).status).toBe(200);
    // The shared new token goes on working for either tab.
    const next = await t.http.post('/api/patient-auth/refresh-token', {
      refreshToken: replies[0]!.body.refreshToken,
    });
    expect(next.status).toBe(200);
  });

  test('a second tab within 10 seconds gets the pair; after the grace the same reuse revokes the family', async () => {
    const login = await loginWithOtp(t, nextPhone());
    const first = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: login.refreshToken });
    t.clock.advance(9_000);
    const second = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: login.refreshToken });
    expect(second).toMatchObject({ status: 200, body: { refreshToken: first.body.refreshToken } });
    t.clock.advance(2_000);
    const late = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: login.refreshToken });
    expect(late).toMatchObject({ status: 401, body: { code: 'TOKEN_REUSED' } });
    expect((await t.http.get('/api/auth/me', { token: first.body.accessToken })).status).toBe(401);
  });

  test('another login of the same person is not touched by reuse in one family', async () => {
    const phone = nextPhone();
    const a = await loginWithOtp(t, phone);
    t.clock.advanceMinutes(1);
    const b = await loginWithOtp(t, phone);
    await t.http.post('/api/patient-auth/refresh-token', { refreshToken: a.refreshToken });
    t.clock.advance(11_000);
    await t.http.post('/api/patient-auth/refresh-token', { refreshToken: a.refreshToken });
    expect((await t.http.get('/api/auth/me', { token: a.accessToken })).status).toBe(401);
    expect((await t.http.get('/api/auth/me', { token: b.accessToken })).status).toBe(200);
  });

  test('logout ends the session: its access token and refresh token stop working at once', async () => {
    const login = await loginWithOtp(t, nextPhone());
    const out = await t.http.post('/api/patient-auth/logout', { refreshToken: login.refreshToken });
    expect(out.status).toBe(204);
    expect((await t.http.get('/api/auth/me', { token: login.accessToken })).body).toMatchObject({
      status: 401,
      code: 'SESSION_REVOKED',
    });
    const refresh = await t.http.post('/api/patient-auth/refresh-token', {
      refreshToken: login.refreshToken,
    });
    expect(refresh).toMatchObject({ status: 401, body: { code: 'SESSION_REVOKED' } });
    expect((await t.http.post('/api/patient-auth/logout', { refreshToken: 'x'.repeat(43) })).status).toBe(
      204,
    );
  });

  test('an access token past 15 minutes is a 401; a refresh still works', async () => {
    const login = await loginWithOtp(t, nextPhone());
    t.clock.advanceMinutes(14);
    expect((await t.http.get('/api/auth/me', { token: login.accessToken })).status).toBe(200);
    t.clock.advanceMinutes(1);
    expect((await t.http.get('/api/auth/me', { token: login.accessToken })).body).toMatchObject({
      status: 401,
      code: 'TOKEN_EXPIRED',
    });
    const r = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: login.refreshToken });
    expect((await t.http.get('/api/auth/me', { token: r.body.accessToken })).status).toBe(200);
  });

  test('a refresh token past 7 days is refused; garbage and forged tokens are 401', async () => {
    const login = await loginWithOtp(t, nextPhone());
    t.clock.advanceMinutes(7 * 24 * 60);
    const r = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: login.refreshToken });
    expect(r).toMatchObject({ status: 401, body: { code: 'TOKEN_EXPIRED' } });
    const junk = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: 'y'.repeat(43) });
    expect(junk).toMatchObject({ status: 401, body: { code: 'TOKEN_INVALID' } });
    const [h, p] = login.accessToken.split('.');
    const forged = `${h}.${p}.${'A'.repeat(43)}`;
    expect((await t.http.get('/api/auth/me', { token: forged })).body.code).toBe('TOKEN_INVALID');
    expect((await t.http.get('/api/auth/me')).status).toBe(401);
  });
});

describe('staff login', () => {
  test('a clinician signs in at /api/auth with their role', async () => {
    const clinician = await createUser(t, { role: 'clinician' });
    const login = await loginWithOtp(t, clinician.phone, { staff: true });
    expect(login.user).toMatchObject({ id: clinician.id, role: 'clinician' });
    expect(login.isNewUser).toBe(false);
  });

  test('a clinician who uses the patient login keeps their role and gets no patient record', async () => {
    const clinician = await createUser(t, { role: 'clinician' });
    const login = await loginWithOtp(t, clinician.phone);
    expect(login).toMatchObject({ isNewUser: false, user: { id: clinician.id, role: 'clinician' } });
    expect(
      await count('select count(*)::int as n from patient_profiles where user_id = $1', [clinician.id]),
    ).toBe(0);
  });

  test('a staff code does not work at the patient login, nor the other way round', async () => {
    const staff = await createUser(t, { role: 'staff' });
    await send(staff.phone, '/api/auth');
    const code = (await readOtp(t, staff.phone))!;
    expect((await verify(staff.phone, code)).body.code).toBe('OTP_INVALID');
    expect((await verify(staff.phone, code, {}, '/api/auth')).status).toBe(200);
  });

  test('an unknown phone, or a patient, gets the same reply and no code', async () => {
    const staff = await createUser(t, { role: 'staff' });
    const patient = await createUser(t, { role: 'patient' });
    const unknown = nextPhone();
    const known = await send(staff.phone, '/api/auth');
    for (const phone of [unknown, patient.phone]) {
      const res = await send(phone, '/api/auth');
      expect(res.status).toBe(known.status);
      expect(res.body).toEqual(known.body);
      expect(await readOtp(t, phone)).toBeUndefined();
      expect(await count('select count(*)::int as n from notifications where phone = $1', [phone])).toBe(0);
    }
    expect(await readOtp(t, staff.phone)).toMatch(/^\d{6}$/);
    // The cooldown treats every number alike, so it reveals nothing either.
    expect((await send(unknown, '/api/auth')).body.code).toBe('OTP_COOLDOWN');
    // Guessing a code for an unknown number never creates an account.
    expect((await verify(unknown, '000000', {}, '/api/auth')).body.code).toBe('OTP_INVALID');
    expect(await count('select count(*)::int as n from users where phone = $1', [unknown])).toBe(0);
  });

  test('a deactivated clinician cannot use a token or a code', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const clinician = await createUser(t, { role: 'clinician' });
    const off = await t.http.patch(
      `/api/admin/users/${clinician.id}`,
      { isActive: false },
      { token: admin.token },
    );
    expect(off).toMatchObject({ status: 200, body: { isActive: false } });
    expect((await t.http.get('/api/auth/me', { token: clinician.token })).body.code).toBe('SESSION_REVOKED');
    await send(clinician.phone, '/api/auth');
    expect(await readOtp(t, clinician.phone)).toBeUndefined();
  });
});

describe('authorization', () => {
  test('a patient on an admin route is a 403; an admin gets through', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const staff = await createUser(t, { role: 'staff' });
    const admin = await createUser(t, { role: 'admin' });
    for (const u of [patient, staff]) {
      const res = await t.http.get('/api/admin/users', { token: u.token });
      expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    }
    const ok = await t.http.get('/api/admin/users?role=patient', { token: admin.token });
    expect(ok.status).toBe(200);
    expect(ok.body.items.map((u: { id: string }) => u.id)).toContain(patient.id);
    expect(ok.body.nextCursor).toBeNull();
    expect((await t.http.get('/api/admin/users')).status).toBe(401);
  });

  test('admins create team accounts that can then sign in; a taken phone is a 409', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const phone = nextPhone();
    const body = {
      role: 'clinician',
      phone,
      fullName: 'Dr. New',
      specialization: 'ENT',
      timeZone: 'Europe/London',
    };
    const created = await t.http.post('/api/admin/users', body, { token: admin.token });
    expect(created).toMatchObject({ status: 201, body: { role: 'clinician', phone } });
    expect((await t.http.post('/api/admin/users', body, { token: admin.token })).body.code).toBe(
      'PHONE_IN_USE',
    );
    const bad = await t.http.post(
      '/api/admin/users',
      { ...body, phone: nextPhone(), timeZone: 'Mars/Olympus' },
      { token: admin.token },
    );
    expect(bad.status).toBe(400);
    const noSpec = await t.http.post(
      '/api/admin/users',
      { role: 'clinician', phone: nextPhone(), fullName: 'X' },
      { token: admin.token },
    );
    expect(noSpec.status).toBe(400);
    const login = await loginWithOtp(t, phone, { staff: true });
    expect(login.user).toMatchObject({ id: created.body.id, role: 'clinician' });
    // The clinician has a profile with what the admin gave; the refused requests created no one.
    const { rows } = await t.platform.pool.query(
      'select specialization, time_zone from clinician_profiles where user_id = $1',
      [created.body.id],
    );
    expect(rows).toEqual([{ specialization: 'ENT', time_zone: 'Europe/London' }]);
    expect(await count("select count(*)::int as n from users where full_name = 'X'")).toBe(0);
  });
});

test('the OpenAPI document describes the identity endpoints', async () => {
  const doc = (await t.http.get('/openapi.json')).body;
  for (const path of [
    '/api/patient-auth/send-otp',
    '/api/patient-auth/verify-otp',
    '/api/patient-auth/refresh-token',
    '/api/patient-auth/logout',
    '/api/auth/send-otp',
    '/api/auth/verify-otp',
    '/api/patient-dashboard/profile',
  ])
    expect(Object.keys(doc.paths)).toContain(path);
  const verify = doc.paths['/api/patient-auth/verify-otp'].post;
  expect(verify.summary).toBeTruthy();
  expect(verify.tags).toEqual(['patient-auth']);
  expect(Object.keys(verify.responses)).toEqual(expect.arrayContaining(['200', '400', '429']));
  expect(doc.paths['/api/patient-dashboard/profile'].put.requestBody).toBeDefined();
});
