import { afterAll, beforeAll, expect, test } from 'vitest';
import { createUser, nextPhone } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { purgeJob } from './identity.jobs.js';
import type { IdentityModule } from './index.js';

let t: TestApp;
let identity: IdentityModule;
beforeAll(async () => {
  t = await startTestApp();
  identity = t.modules.find((m) => m.name === 'identity') as IdentityModule;
});
afterAll(() => t?.close());

const q = (sql: string, values: unknown[] = []) => t.platform.pool.query(sql, values);

test('the purge job removes old codes and long-expired sessions only, and is safe to run twice', async () => {
  const now = t.clock.now().getTime();
  const user = await createUser(t);
  const at = (msAgo: number) => new Date(now - msAgo);
  for (const [phone, age] of [
    [nextPhone(), 25 * 3_600_000],
    [nextPhone(), 23 * 3_600_000],
  ] as const)
    await q(
      `insert into otp_requests (phone, otp_hash, purpose, created_at, expires_at) values ($1, 'h', 'patient_login', $2, $2)`,
      [phone, at(age)],
    );
  for (const [hash, expiredAgo] of [
    ['old', 31 * 86_400_000],
    ['recent', 29 * 86_400_000],
  ] as const)
    await q(
      `insert into auth_sessions (user_id, family_id, refresh_token_hash, created_at, expires_at)
       values ($1, gen_random_uuid(), $2, $3, $3)`,
      [user.id, hash, at(expiredAgo)],
    );
  for (let i = 0; i < 2; i++) {
    await t.platform.jobs.send(purgeJob, {});
    await t.runJobs({ names: [purgeJob.name] });
  }
  const otps = await q('select created_at from otp_requests');
  expect(otps.rows.map((r) => now - r.created_at.getTime())).toEqual([23 * 3_600_000]);
  const sessions = await q(
    `select refresh_token_hash from auth_sessions where refresh_token_hash in ('old', 'recent')`,
  );
  expect(sessions.rows).toEqual([{ refresh_token_hash: 'recent' }]);
  // The signed-in user's live session is untouched.
  expect((await t.http.get('/api/auth/me', { token: user.token })).status).toBe(200);
});

test('the service lists users by role and finds clinicians with their profiles', async () => {
  const c = await createUser(t, {
    role: 'clinician',
    specialization: 'Neurology',
    timeZone: 'Europe/London',
  });
  const s = await createUser(t, { role: 'staff' });
  const clinicians = await identity.service.listUsersByRole('clinician');
  expect(clinicians.map((u) => u.id)).toContain(c.id);
  expect(clinicians.map((u) => u.id)).not.toContain(s.id);
  expect(await identity.service.getClinician(c.id)).toMatchObject({
    id: c.id,
    role: 'clinician',
    clinician: { specialization: 'Neurology', timeZone: 'Europe/London' },
  });
  expect(await identity.service.getClinician(s.id)).toBeNull();
  expect(await identity.service.getUser('not-a-uuid')).toBeNull();
  const byPhone = await identity.service.findUserByPhone(c.phone.slice(3));
  expect(byPhone?.id).toBe(c.id);
});

test('the guard refuses a token whose session row is gone or revoked', async () => {
  const user = await createUser(t);
  expect((await t.http.get('/api/auth/me', { token: user.token })).status).toBe(200);
  await q(`update auth_sessions set revoked_at = now(), revoked_reason = 'logout' where user_id = $1`, [
    user.id,
  ]);
  const res = await t.http.get('/api/auth/me', { token: user.token });
  expect(res).toMatchObject({ status: 401, body: { code: 'SESSION_REVOKED' } });
});
