import { expect } from 'vitest';
import type { TestApp } from '../support/app.js';
import { createUser, type TestUser } from './identity.js';

/** Catalog and scheduling set-up through the real admin and clinician endpoints. */

export async function createCentre(
  t: TestApp,
  admin: TestUser,
  c: Partial<{ name: string; city: string; address: string; timeZone: string }> = {},
): Promise<{ id: string; name: string; city: string; address: string; timeZone: string }> {
  const res = await t.http.post(
    '/api/admin/centres',
    { name: 'Test Centre', city: 'Bengaluru', address: '1 Test Road', timeZone: 'Asia/Kolkata', ...c },
    { token: admin.token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A clinician made by the admin (POST /api/admin/users), with whatever profile fields are given, then listed. */
export async function createListedClinicianByAdmin(
  t: TestApp,
  admin: TestUser,
  profile: {
    phone: string;
    fullName: string;
    specialization: string;
    timeZone?: string;
    languages?: string[];
    bio?: string;
  },
): Promise<{ id: string }> {
  const res = await t.http.post(
    '/api/admin/users',
    { role: 'clinician', ...profile },
    { token: admin.token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await setListing(t, admin, res.body.id);
  return { id: res.body.id };
}

export type ListingInput = {
  modes?: Array<'online' | 'in_person'>;
  fee?: { amount: number; currency: string };
  centreIds?: string[];
  isListed?: boolean;
};

export async function setListing(t: TestApp, admin: TestUser, clinicianId: string, l: ListingInput = {}) {
  const res = await t.http.put(
    `/api/admin/clinicians/${clinicianId}/listing`,
    { modes: ['online'], fee: { amount: 50_000, currency: 'INR' }, centreIds: [], isListed: true, ...l },
    { token: admin.token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export type RuleInput = {
  weekday: number;
  start: string;
  end: string;
  mode?: 'online' | 'in_person';
  centreId?: string | null;
  slotMinutes?: number;
};

export async function setAvailability(t: TestApp, who: TestUser, clinicianId: string, rules: RuleInput[]) {
  const res = await t.http.put(
    `/api/clinicians/${clinicianId}/availability`,
    rules.map((r) => ({ mode: 'online', slotMinutes: 30, ...r })),
    { token: who.token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/**
 * A listed clinician with weekly rules, ready to book: `online` (and `in_person` at a centre in
 * their zone when asked). Rules default to every day 09:00-17:00, 30-minute slots, online.
 */
export async function createBookableClinician(
  t: TestApp,
  admin: TestUser,
  opts: {
    timeZone?: string;
    specialization?: string;
    fee?: number;
    inPerson?: boolean;
    rules?: RuleInput[];
  } = {},
) {
  const timeZone = opts.timeZone ?? 'Asia/Kolkata';
  const clinician = await createUser(t, { role: 'clinician', timeZone, specialization: opts.specialization });
  const centre = opts.inPerson ? await createCentre(t, admin, { timeZone }) : undefined;
  await setListing(t, admin, clinician.id, {
    modes: centre ? ['online', 'in_person'] : ['online'],
    fee: { amount: opts.fee ?? 50_000, currency: t.platform.config.currency },
    centreIds: centre ? [centre.id] : [],
  });
  const rules =
    opts.rules ?? [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' }));
  await setAvailability(t, admin, clinician.id, rules);
  return { clinician, centre };
}
