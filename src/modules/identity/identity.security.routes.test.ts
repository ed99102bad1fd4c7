import { generate } from 'otplib';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createUser, loginWithOtp, nextPhone, readOtp } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { createTokenSigner } from '../../platform/auth.js';

// Issue 10: sessions that really end, tokens that cannot lie about their role, limits nobody else can use up.
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());
beforeEach(() => void t.clock.advanceMinutes(61));

const cookieOf = (res: { headers: Headers }) => res.headers.get('set-cookie') ?? '';
const cookieValue = (setCookie: string) => /carebook_refresh=([^;]*)/.exec(setCookie)?.[1] ?? '';

describe('the guard trusts the database, not the token', () => {
  test("a token re-signed with role admin gets the user's real role (403 on admin routes)", async () => {
    const patient = await createUser(t);
    const { sessionId } = await t.platform.pool
      .query(`select id as "sessionId" from auth_sessions where user_id = $1`, [patient.id])
      .then((r) => r.rows[0]);
    const forged = await createTokenSigner(t.platform.config.auth.jwtSecret, t.clock).sign({
      userId: patient.id,
      role: 'admin',
      sessionId,
    });
    expect((await t.http.get('/api/admin/users', { token: forged })).status).toBe(403);
    expect((await t.http.get('/api/auth/me', { token: forged })).body.role).toBe('patient');
  });

  test("a token naming another user's live session is refused", async () => {
    const a = await createUser(t);
    const b = await createUser(t);
    const { rows } = await t.platform.pool.query(`select id from auth_sessions where user_id = $1`, [b.id]);
    const forged = await createTokenSigner(t.platform.config.auth.jwtSecret, t.clock).sign({
      userId: a.id,
      role: 'patient',
      sessionId: rows[0].id,
    });
    expect((await t.http.get('/api/auth/me', { token: forged })).body.code).toBe('SESSION_REVOKED');
  });
});

describe('refresh cookie (contracts.md)', () => {
  test('login sets an HttpOnly, SameSite=Strict cookie on the refresh path for the 30-day patient lifetime', async () => {
    const phone = nextPhone();
    await t.http.post('/api/patient-auth/send-otp', { phone });
    const res = await t.http.post('/api/patient-auth/verify-otp', { phone, otp: await readOtp(t, phone) });
    const c = cookieOf(res);
    expect(cookieValue(c)).toBe(res.body.refreshToken);
    expect(c).toMatch(/HttpOnly/i);
    expect(c).toMatch(/SameSite=Strict/i);
    expect(c).toMatch(/Path=\/api\/patient-auth(;|$)/);
    expect(c).toMatch(/Max-Age=2592000/);
    expect(c).not.toMatch(/Secure/i); // http://127.0.0.1 in tests; https or production adds it
  });

  test('refresh and logout with {} use the cookie; no token at all is a 401; logout clears it', async () => {
    const login = await loginWithOtp(t, nextPhone());
    const cookie = { cookie: `carebook_refresh=${login.refreshToken}` };
    const r = await t.http.post('/api/patient-auth/refresh-token', {}, { headers: cookie });
    expect(r.status).toBe(200);
    expect(cookieValue(cookieOf(r))).toBe(r.body.refreshToken);
    expect((await t.http.post('/api/patient-auth/refresh-token', {})).body).toMatchObject({
      status: 401,
      code: 'REFRESH_TOKEN_MISSING',
    });
    expect((await t.http.post('/api/patient-auth/logout', {})).status).toBe(401);
    const out = await t.http.post(
      '/api/patient-auth/logout',
      {},
      { headers: { cookie: `carebook_refresh=${r.body.refreshToken}` } },
    );
    expect(out.status).toBe(204);
    expect(cookieOf(out)).toMatch(/carebook_refresh=;.*Max-Age=0/);
    expect((await t.http.get('/api/auth/me', { token: r.body.accessToken })).status).toBe(401);
  });
});

describe('absolute lifetime of a login', () => {
  test('a patient login ends 30 days after sign-in however often it refreshes', async () => {
    let { refreshToken } = await loginWithOtp(t, nextPhone());
    // Refreshed every 6 days: each refresh token lives 7 days, so only the family's end can stop it.
    for (const days of [6, 6, 6, 6, 5]) {
      t.clock.advanceMinutes(days * 24 * 60);
      const r = await t.http.post('/api/patient-auth/refresh-token', { refreshToken });
      expect(r.status).toBe(200);
      refreshToken = r.body.refreshToken;
    }
    t.clock.advanceMinutes(24 * 60 + 1); // 30 days and a minute after sign-in
    const late = await t.http.post('/api/patient-auth/refresh-token', { refreshToken });
    expect(late).toMatchObject({ status: 401, body: { code: 'TOKEN_EXPIRED' } });
  });

  test('a team login ends after 12 hours; the cookie says so', async () => {
    const staff = await createUser(t, { role: 'staff' });
    await t.http.post('/api/auth/send-otp', { phone: staff.phone });
    const login = await t.http.post('/api/auth/verify-otp', {
      phone: staff.phone,
      otp: await readOtp(t, staff.phone),
    });
    expect(cookieOf(login)).toMatch(/Max-Age=43200/);
    t.clock.advanceMinutes(11 * 60);
    const r = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: login.body.refreshToken });
    expect(r.status).toBe(200);
    expect(cookieOf(r)).toMatch(/Max-Age=3600/);
    t.clock.advanceMinutes(61);
    const late = await t.http.post('/api/patient-auth/refresh-token', { refreshToken: r.body.refreshToken });
    expect(late.status).toBe(401);
  });
});

describe('own sessions', () => {
  test('lists my logins, signs out one, and signs out everywhere else', async () => {
    const phone = nextPhone();
    const a = await loginWithOtp(t, phone, { headers: { 'user-agent': 'phone-app' } });
    t.clock.advanceMinutes(1);
    const b = await loginWithOtp(t, phone, { headers: { 'user-agent': 'laptop' } });
    t.clock.advanceMinutes(1);
    const c = await loginWithOtp(t, phone, { headers: { 'user-agent': 'tablet' } });
    const list = await t.http.get('/api/auth/sessions', { token: c.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.map((s: { userAgent: string }) => s.userAgent)).toEqual([
      'tablet',
      'laptop',
      'phone-app',
    ]);
    expect(list.body.map((s: { current: boolean }) => s.current)).toEqual([true, false, false]);
    expect(list.headers.get('cache-control')).toBe('no-store');

    const stranger = await createUser(t);
    expect(
      (await t.http.delete(`/api/auth/sessions/${list.body[1].id}`, { token: stranger.token })).status,
    ).toBe(404);
    expect(
      (await t.http.delete(`/api/auth/sessions/${list.body[1].id}`, { token: c.accessToken })).status,
    ).toBe(200);
    expect((await t.http.get('/api/auth/me', { token: b.accessToken })).status).toBe(401);
    expect((await t.http.get('/api/auth/me', { token: a.accessToken })).status).toBe(200);

    const others = await t.http.post('/api/auth/sessions/sign-out-others', undefined, {
      token: c.accessToken,
    });
    expect(others).toMatchObject({ status: 200, body: { signedOut: 1 } });
    expect((await t.http.get('/api/auth/me', { token: a.accessToken })).status).toBe(401);
    expect((await t.http.get('/api/auth/me', { token: c.accessToken })).status).toBe(200);
  });
});

describe('staff and patient OTP counters are apart', () => {
  test("asking the staff flow for a patient's phone never uses the patient's cooldown or hourly quota", async () => {
    const patient = await createUser(t);
    for (let i = 0; i < 6; i++) {
      const staffTry = await t.http.post('/api/auth/send-otp', { phone: patient.phone });
      if (i === 0) expect(staffTry.status).toBe(200);
      t.clock.advance(31_000);
    }
    // The staff flow itself is now limited for that number…
    expect((await t.http.post('/api/auth/send-otp', { phone: patient.phone })).status).toBe(429);
    // …while the patient still gets a code, at once.
    expect((await t.http.post('/api/patient-auth/send-otp', { phone: patient.phone })).status).toBe(200);
    expect(await readOtp(t, patient.phone)).toMatch(/^\d{6}$/);
  });

  test('a staff-flow request for a non-team number leaves no message behind', async () => {
    const phone = nextPhone();
    await t.http.post('/api/auth/send-otp', { phone });
    const { rows } = await t.platform.pool.query(
      `select count(*)::int as n from notifications where phone = $1`,
      [phone],
    );
    expect(rows[0].n).toBe(0);
  });
});

describe('admin second factor (TOTP)', () => {
  test('enrol, confirm, then sign-in asks for the code; a wrong one counts as a wrong try', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const enrol = await t.http.post('/api/auth/totp/enrol', undefined, { token: admin.token });
    expect(enrol.status).toBe(200);
    expect(enrol.body.otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    const secret = enrol.body.secret as string;
    const stored = await t.platform.pool.query(`select secret_sealed from user_totp where user_id = $1`, [
      admin.id,
    ]);
    expect(stored.rows[0].secret_sealed).not.toContain(secret);
    const code = () => generate({ secret, epoch: Math.floor(t.clock.now().getTime() / 1000) });

    // Not yet confirmed: sign-in does not ask.
    expect((await t.http.get('/api/auth/totp', { token: admin.token })).body.enrolled).toBe(false);
    expect(
      (await t.http.post('/api/auth/totp/confirm', { code: '000000' }, { token: admin.token })).status,
    ).toBe(400);
    const confirmed = await t.http.post(
      '/api/auth/totp/confirm',
      { code: await code() },
      { token: admin.token },
    );
    expect(confirmed).toMatchObject({ status: 200, body: { enrolled: true } });

    t.clock.advance(60_000);
    await t.http.post('/api/auth/send-otp', { phone: admin.phone });
    const otp = await readOtp(t, admin.phone);
    const without = await t.http.post('/api/auth/verify-otp', { phone: admin.phone, otp });
    expect(without).toMatchObject({ status: 401, body: { code: 'TOTP_REQUIRED' } });
    const wrong = await t.http.post('/api/auth/verify-otp', { phone: admin.phone, otp, totp: '000000' });
    expect(wrong).toMatchObject({ status: 400, body: { code: 'TOTP_INVALID', attemptsLeft: 4 } });
    const ok = await t.http.post('/api/auth/verify-otp', { phone: admin.phone, otp, totp: await code() });
    expect(ok).toMatchObject({ status: 200, body: { user: { role: 'admin' } } });
    // Only admins enrol.
    const staff = await createUser(t, { role: 'staff' });
    expect((await t.http.post('/api/auth/totp/enrol', undefined, { token: staff.token })).status).toBe(403);
  });
});
