import { DateTime } from 'luxon';
import { expect } from 'vitest';
import type { BookingService } from '../../src/modules/booking/index.js';
import type { CatalogService } from '../../src/modules/catalog/index.js';
import type { SchedulingService } from '../../src/modules/scheduling/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createUser, signIn, type TestUser } from './identity.js';

const moduleService = <S>(t: TestApp, name: string): S => {
  const mod = t.modules.find((m) => m.name === name) as unknown as { service: S } | undefined;
  if (!mod) throw new Error(`module ${name} is not wired`);
  return mod.service;
};
export const catalogOf = (t: TestApp) => moduleService<CatalogService>(t, 'catalog');
export const schedulingOf = (t: TestApp) => moduleService<SchedulingService>(t, 'scheduling');
export const bookingOf = (t: TestApp) => moduleService<BookingService>(t, 'booking');

/** Access tokens live 15 minutes of the test clock: after moving it, sign the users in again. */
export async function renewTokens(t: TestApp, ...users: TestUser[]) {
  for (const u of users) u.token = await signIn(t, u.id, u.role);
}

export type Rule = { weekday: number; startTime: string; endTime: string; slotMinutes: number };

/**
 * A listed clinician with an online fee and weekly availability (every day 09:00-17:00, 30-minute
 * slots, in their zone unless told otherwise), set through the catalog and scheduling services.
 */
export async function bookableClinician(
  t: TestApp,
  opts: { timeZone?: string; feeMinor?: number; rules?: Rule[]; fullName?: string } = {},
): Promise<TestUser & { timeZone: string }> {
  const timeZone = opts.timeZone ?? 'Asia/Kolkata';
  const doc = await createUser(t, {
    role: 'clinician',
    timeZone,
    ...(opts.fullName ? { fullName: opts.fullName } : {}),
  });
  await catalogOf(t).setListing(doc.id, {
    modes: ['online'],
    fee: { amount: opts.feeMinor ?? 50_000, currency: t.platform.config.currency },
    centreIds: [],
    isListed: true,
  });
  await setRules(t, doc.id, opts.rules ?? everyDay('09:00', '17:00', 30));
  return { ...doc, timeZone };
}

export const everyDay = (startTime: string, endTime: string, slotMinutes: number): Rule[] =>
  [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime, endTime, slotMinutes }));

export async function setRules(t: TestApp, clinicianId: string, rules: Rule[]) {
  await schedulingOf(t).replaceRules(
    { userId: clinicianId, role: 'clinician', sessionId: 'test' },
    clinicianId,
    rules.map((r) => ({ ...r, mode: 'online' as const, centreId: null })),
  );
}

/** An instant `days` after the clock's today at local `hhmm` in `zone`, as ISO. */
export function localSlot(t: TestApp, zone: string, days: number, hhmm: string): string {
  const [h, m] = hhmm.split(':').map(Number);
  return DateTime.fromJSDate(t.clock.now(), { zone })
    .startOf('day')
    .plus({ days })
    .set({ hour: h!, minute: m! })
    .toUTC()
    .toISO()!;
}

export const initiate = (t: TestApp, user: TestUser, body: Record<string, unknown>) =>
  t.http.post('/api/booking/initiate', { mode: 'online', ...body }, { token: user.token });

/** Pays a sandbox checkout like the hosted page does and returns the success callback's fields. */
export async function paySandbox(t: TestApp, orderId: string) {
  const res = await fetch(`${t.url}/sandbox/checkout/${orderId}/pay`, { method: 'POST', redirect: 'manual' });
  expect(res.status).toBe(303);
  const q = new URL(res.headers.get('location')!, t.url).searchParams;
  return { provider: 'sandbox', orderId, paymentId: q.get('paymentId')!, signature: q.get('signature')! };
}

/** Initiates, pays in the sandbox and confirms through the client callback: a CONFIRMED paid appointment. */
export async function bookAndPay(t: TestApp, patient: TestUser, clinicianId: string, startAt: string) {
  const held = await initiate(t, patient, { clinicianId, startAt });
  expect(held.status, JSON.stringify(held.body)).toBe(201);
  const proof = await paySandbox(t, held.body.payment.orderId);
  const confirmed = await t.http.post(
    '/api/booking/confirm',
    { appointmentId: held.body.appointment.id, ...proof },
    { token: patient.token },
  );
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  expect(confirmed.body.appointment.status).toBe('CONFIRMED');
  return confirmed.body.appointment as { id: string; startAt: string; paymentId: string };
}

/**
 * One app with a paid clinician (INR 500.00, Asia/Kolkata, 30-minute slots), two patients and an
 * admin; `slot` is local to the clinician, `moveTo` moves the test clock and re-signs everyone in.
 */
export async function bookingScene(env: Record<string, string> = {}) {
  const zone = 'Asia/Kolkata';
  const t = await startTestApp({ env });
  const doc = await bookableClinician(t, { timeZone: zone, feeMinor: 50_000 });
  const alice = await createUser(t, { role: 'patient' });
  const bob = await createUser(t, { role: 'patient' });
  const admin = await createUser(t, { role: 'admin' });
  const slot = (days: number, hhmm: string) => localSlot(t, zone, days, hhmm);
  const rows = async (sql: string, values: unknown[] = []): Promise<any[]> =>
    (await t.platform.pool.query(sql, values)).rows;
  const moveTo = async (at: number, ...others: TestUser[]) => {
    t.clock.set(new Date(at));
    await renewTokens(t, doc, alice, bob, admin, ...others);
  };
  return { t, zone, doc, alice, bob, admin, slot, rows, moveTo };
}
export type BookingScene = Awaited<ReturnType<typeof bookingScene>>;
