import { identityRepository } from '../../src/modules/identity/identity.repository.js';
import { openSession } from '../../src/modules/identity/identity.sessions.js';
import { createTokenSigner, type Role } from '../../src/platform/auth.js';
import type { TestApp } from '../support/app.js';

export type TestUser = { id: string; phone: string; role: Role; fullName: string; token: string };

let phoneSeq = 0;
/** A unique, valid Indian mobile number per call within a test process. */
export const nextPhone = () =>
  `+9198${String(process.pid % 1000).padStart(3, '0')}${String(++phoneSeq).padStart(5, '0')}`;

/**
 * A user of any role with a live auth session and a valid access token, as if they had logged in.
 * Inserted through identity's repository. Clinicians get a clinician profile (time zone
 * Asia/Kolkata unless given); patients a patient profile.
 */
export async function createUser(
  t: TestApp,
  opts: { role?: Role; phone?: string; fullName?: string; specialization?: string; timeZone?: string } = {},
): Promise<TestUser> {
  const role = opts.role ?? 'patient';
  const phone = opts.phone ?? nextPhone();
  const fullName = opts.fullName ?? `Test ${role} ${phoneSeq}`;
  const now = t.platform.clock.now();
  const id = await t.platform.uow(async (tx) => {
    const user = await identityRepository.insertUser(tx.db, { phone, role, fullName, now });
    if (!user) throw new Error(`createUser: phone ${phone} is taken`);
    if (role === 'patient') await identityRepository.insertPatientProfile(tx.db, user.id, now);
    if (role === 'clinician')
      await identityRepository.insertClinicianProfile(
        tx.db,
        {
          userId: user.id,
          specialization: opts.specialization ?? 'General Physician',
          timeZone: opts.timeZone ?? 'Asia/Kolkata',
        },
        now,
      );
    return user.id;
  });
  const token = await signIn(t, id, role);
  return { id, phone, role, fullName, token };
}

/** Opens an auth session for a user (a new login family) and returns an access token for it. */
export async function signIn(t: TestApp, userId: string, role: Role): Promise<string> {
  const { config, clock } = t.platform;
  const now = clock.now();
  const { sessionId } = await t.platform.uow((tx) => openSession(tx, { userId, now, meta: {} }));
  return createTokenSigner(config.auth.jwtSecret, clock).sign({ userId, role, sessionId });
}

/**
 * The newest login code the console channel holds for a phone (runs queued deliveries first), read
 * the way a developer does: GET /dev/inbox?to=PHONE.
 */
export async function readOtp(t: TestApp, phone: string): Promise<string | undefined> {
  await t.runJobs();
  const res = await t.http.get(`/dev/inbox?to=${encodeURIComponent(phone)}`);
  if (res.status !== 200) throw new Error(`dev inbox answered ${res.status}`);
  const msg = (res.body as Array<{ template: string; body: string }>).find(
    (m) => m.template === 'otp_verification',
  );
  return msg?.body.match(/\b(\d{6})\b/)?.[1];
}

export type LoginReply = {
  accessToken: string;
  refreshToken: string;
  isNewUser: boolean;
  user: { id: string; phone: string; fullName: string | null; email: string | null; role: Role };
};

/** Signs in through the real OTP flow (patient or staff endpoints) and returns the login reply. */
export async function loginWithOtp(
  t: TestApp,
  phone: string,
  opts: { staff?: boolean; fullName?: string; email?: string; headers?: Record<string, string> } = {},
): Promise<LoginReply> {
  const base = opts.staff ? '/api/auth' : '/api/patient-auth';
  const sent = await t.http.post(`${base}/send-otp`, { phone }, { headers: opts.headers });
  if (sent.status !== 200) throw new Error(`send-otp answered ${sent.status}: ${JSON.stringify(sent.body)}`);
  const otp = await readOtp(t, phone);
  if (!otp) throw new Error('no login code in the dev inbox');
  const body = {
    phone,
    otp,
    ...(opts.fullName ? { fullName: opts.fullName } : {}),
    ...(opts.email ? { email: opts.email } : {}),
  };
  const verified = await t.http.post<LoginReply>(`${base}/verify-otp`, body, { headers: opts.headers });
  if (verified.status !== 200)
    throw new Error(`verify-otp answered ${verified.status}: ${JSON.stringify(verified.body)}`);
  return verified.body;
}
