import { expect } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { bookableClinician, paySandbox, renewTokens } from './booking.js';
import { createUser, type TestUser } from './identity.js';

export const SORE_THROAT = { description: 'sore throat for two days, no fever', durationDays: 2 };
export const CHEST_PAIN = {
  description: 'crushing chest pain and sweating, started 20 minutes ago',
  age: 58,
};

/** Every day, as much of it as a shift can cover (shifts end at 23:59 at the latest). */
export const ALL_DAY = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '23:59' }));

export async function setShifts(t: TestApp, admin: TestUser, clinicianId: string, shifts = ALL_DAY) {
  const res = await t.http.put(`/api/clinicians/${clinicianId}/shifts`, shifts, { token: admin.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

export async function createService(t: TestApp, admin: TestUser, body: Record<string, unknown>) {
  const res = await t.http.post(
    '/api/admin/services',
    { isActive: true, billTiming: 'BEFORE', price: { amount: 29_900, currency: 'INR' }, ...body },
    { token: admin.token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/**
 * An app with the online services priced (chat INR 199, video INR 299, emergency INR 499), an admin,
 * a patient and `doctors` listed doctors (none on shift unless the test sets shifts).
 */
export async function consultScene(opts: { env?: Record<string, string>; doctors?: number } = {}) {
  const t = await startTestApp({ env: opts.env ?? {} });
  const admin = await createUser(t, { role: 'admin' });
  const patient = await createUser(t, { role: 'patient', fullName: 'Asha Patient' });
  const doctors: TestUser[] = [];
  for (let i = 0; i < (opts.doctors ?? 2); i++)
    doctors.push(await bookableClinician(t, { fullName: `Dr. Test ${i + 1}` }));
  await createService(t, admin, {
    code: 'CHAT',
    name: 'Chat',
    workflowType: 'ONLINE_CHAT',
    price: { amount: 19_900, currency: 'INR' },
  });
  await createService(t, admin, {
    code: 'VIDEO',
    name: 'Video',
    workflowType: 'ONLINE_VIDEO',
    price: { amount: 29_900, currency: 'INR' },
  });
  await createService(t, admin, {
    code: 'EMERGENCY',
    name: 'Priority',
    workflowType: 'ONLINE_EMERGENCY',
    price: { amount: 49_900, currency: 'INR' },
  });
  const rows = async (sql: string, values: unknown[] = []): Promise<any[]> =>
    (await t.platform.pool.query(sql, values)).rows;
  const renew = (...extra: TestUser[]) => renewTokens(t, admin, patient, ...doctors, ...extra);
  return { t, admin, patient, doctors, rows, renew };
}
export type ConsultScene = Awaited<ReturnType<typeof consultScene>>;

export const collect = (t: TestApp, user: TestUser, body: Record<string, unknown> = SORE_THROAT) =>
  t.http.post('/api/consultations/symptoms/collect', body, { token: user.token });

export const select = (t: TestApp, user: TestUser, sessionId: string, consultationType = 'video') =>
  t.http.post(
    '/api/consultations/select-consultation',
    { sessionId, consultationType },
    { token: user.token },
  );

export const confirm = (t: TestApp, user: TestUser, body: Record<string, unknown>) =>
  t.http.post('/api/consultations/confirm-payment', body, { token: user.token });

export const detailed = (
  t: TestApp,
  user: TestUser,
  clinicalSessionId: string,
  extra: Record<string, unknown> = {},
) =>
  t.http.post(
    '/api/consultations/symptoms/collect_detailed_symptoms',
    { clinicalSessionId, description: 'Sore throat, hurts to swallow, no fever, no cough', ...extra },
    { token: user.token },
  );

/** Steps 1-3 of seed 000 through the sandbox gateway: returns the triage and clinical session ids. */
export async function paidClinicalSession(t: TestApp, patient: TestUser, type = 'video') {
  const c = await collect(t, patient);
  expect(c.status, JSON.stringify(c.body)).toBe(200);
  const s = await select(t, patient, c.body.sessionId, type);
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  const proof = await paySandbox(t, s.body.payment.orderId);
  const p = await confirm(t, patient, { sessionId: c.body.sessionId, ...proof });
  expect(p.status, JSON.stringify(p.body)).toBe(200);
  return {
    sessionId: c.body.sessionId as string,
    clinicalSessionId: p.body.clinicalSessionId as string,
    phase1: p.body,
  };
}

/** A consultation created through the whole seed 000 flow. */
export async function onDemandConsultation(t: TestApp, patient: TestUser) {
  const { clinicalSessionId } = await paidClinicalSession(t, patient);
  const res = await detailed(t, patient, clinicalSessionId);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { consultationId: string; assignedDoctor: { doctorId: string } | null };
}
