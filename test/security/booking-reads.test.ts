import { afterAll, beforeAll, expect, test } from 'vitest';
import { type BookingScene, bookAndPay, bookingScene, initiate, renewTokens } from '../factories/booking.js';
import { createUser } from '../factories/identity.js';

// Issue 10 (8, 11): staff and admin reads of appointments and payments are audited; no slot hoarding.
let s: BookingScene;
beforeAll(async () => {
  s = await bookingScene();
});
afterAll(() => s?.t.close());

const auditRows = (action: string, actorId: string) =>
  s.rows(
    `select action, resource_type, resource_id, actor_role from audit_log where action = $1 and actor_id = $2`,
    [action, actorId],
  );

test("staff and admin reads of appointments and payments write audit rows; the patient's own reads do not", async () => {
  const { t, doc, alice, admin } = s;
  const staff = await createUser(t, { role: 'staff' });
  const appt = await bookAndPay(t, alice, doc.id, s.slot(3, '10:00'));

  const own = await t.http.get(`/api/patient-dashboard/appointments/${appt.id}`, { token: alice.token });
  expect(own.status).toBe(200);
  expect(own.headers.get('cache-control')).toBe('no-store');
  expect(await auditRows('appointment.read', alice.id)).toEqual([]);

  expect(
    (await t.http.get(`/api/patient-dashboard/appointments/${appt.id}`, { token: staff.token })).status,
  ).toBe(200);
  expect(await auditRows('appointment.read', staff.id)).toEqual([
    { action: 'appointment.read', resource_type: 'appointment', resource_id: appt.id, actor_role: 'staff' },
  ]);
  const list = await t.http.get('/api/admin/appointments', { token: admin.token });
  expect(list.status).toBe(200);
  expect(list.headers.get('cache-control')).toBe('no-store');
  expect(await auditRows('appointment.list', admin.id)).toHaveLength(1);

  expect((await t.http.get(`/api/payment/${appt.paymentId}`, { token: admin.token })).status).toBe(200);
  expect(await auditRows('payment.read', admin.id)).toEqual([
    { action: 'payment.read', resource_type: 'payment', resource_id: appt.paymentId, actor_role: 'admin' },
  ]);
  // A read that fails writes nothing.
  const missing = await t.http.get(`/api/payment/${crypto.randomUUID()}`, { token: admin.token });
  expect(missing.status).toBe(404);
  expect(await auditRows('payment.read', admin.id)).toHaveLength(1);
});

test('a patient cannot start more than 10 unpaid holds in 24 hours by letting them lapse', async () => {
  const { t, doc } = s;
  const hoarder = await createUser(t, { role: 'patient' });
  const statuses: number[] = [];
  let minute = 0;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 3; i++) {
      const at = s.slot(5 + round, `${String(9 + i).padStart(2, '0')}:${minute ? '30' : '00'}`);
      const res = await initiate(t, hoarder, { clinicianId: doc.id, startAt: at });
      statuses.push(res.status);
      if (res.status !== 201) expect(res.body.code).toBe('TOO_MANY_HOLDS_TODAY');
    }
    // The holds lapse (15 minutes), which alone used to free the account to hold three more.
    t.clock.advanceMinutes(16);
    minute = 1 - minute;
    await renewTokens(t, hoarder);
  }
  expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 409, 409]);
  // A day later the quota is back.
  t.clock.advanceMinutes(24 * 60);
  await renewTokens(t, hoarder);
  const later = await initiate(t, hoarder, { clinicianId: doc.id, startAt: s.slot(12, '10:00') });
  expect(later.status).toBe(201);
});
