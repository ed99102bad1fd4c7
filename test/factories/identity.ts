import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createTokenSigner, type Role } from '../../src/platform/auth.js';
import type { TestApp } from '../support/app.js';

export type TestUser = { id: string; phone: string; role: Role; fullName: string; token: string };

let phoneSeq = 0;
/** A unique, valid Indian mobile number per call within a test process. */
export const nextPhone = () => `+9198${String(process.pid % 1000).padStart(3, '0')}${String(++phoneSeq).padStart(5, '0')}`;

/**
 * A user of any role with a live auth session and a valid access token, as if they had logged in.
 * Clinicians get a clinician profile (time zone Asia/Kolkata unless given).
 */
export async function createUser(
  t: TestApp,
  opts: { role?: Role; phone?: string; fullName?: string; specialization?: string; timeZone?: string } = {},
): Promise<TestUser> {
  const role = opts.role ?? 'patient';
  const phone = opts.phone ?? nextPhone();
  const fullName = opts.fullName ?? `Test ${role} ${phoneSeq}`;
  const { pool, config, clock } = t.platform;
  const { rows } = await pool.query<{ id: string }>(
    'insert into users (phone, full_name, role) values ($1, $2, $3) returning id',
    [phone, fullName, role],
  );
  const id = rows[0]!.id;
  if (role === 'patient') await pool.query('insert into patient_profiles (user_id) values ($1)', [id]);
  if (role === 'clinician') {
    await pool.query('insert into clinician_profiles (user_id, specialization, time_zone) values ($1, $2, $3)', [
      id,
      opts.specialization ?? 'General Physician',
      opts.timeZone ?? 'Asia/Kolkata',
    ]);
  }
  const token = await signIn(t, id, role);
  return { id, phone, role, fullName, token };
}

/** Opens an auth session for a user and returns an access token for it. */
export async function signIn(t: TestApp, userId: string, role: Role): Promise<string> {
  const { pool, config, clock } = t.platform;
  const now = clock.now();
  const { rows } = await pool.query<{ id: string }>(
    `insert into auth_sessions (user_id, family_id, refresh_token_hash, created_at, expires_at)
     values ($1, $2, $3, $4, $5) returning id`,
    [
      userId,
      randomUUID(),
      createHash('sha256').update(randomBytes(32)).digest('hex'),
      now,
      new Date(now.getTime() + 7 * 86_400_000),
    ],
  );
  return createTokenSigner(config.auth.jwtSecret, clock).sign({ userId, role, sessionId: rows[0]!.id });
}
