import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  type BookingScene,
  bookAndPay,
  bookableClinician,
  bookingScene,
  catalogOf,
} from '../../../test/factories/booking.js';

let s: BookingScene;
beforeAll(async () => {
  s = await bookingScene();
});
afterAll(() => s?.t.close());

test("every appointment view carries its current payment's id and the clinician's time zone", async () => {
  const { t, alice, admin, doc, slot } = s;
  const booked = await bookAndPay(t, alice, doc.id, slot(1, '10:00'));
  const [payment] = await s.rows('select id from payments where payable_id = $1', [booked.id]);
  expect(payment.id).toBe(booked.paymentId);

  const one = await t.http.get(`/api/patient-dashboard/appointments/${booked.id}`, { token: alice.token });
  expect(one.status).toBe(200);
  expect(one.body.paymentId).toBe(payment.id);
  expect(one.body.clinicianTimeZone).toBe('Asia/Kolkata');

  const mine = await t.http.get('/api/patient-dashboard/appointments', { token: alice.token });
  expect(mine.body.find((a: { id: string }) => a.id === booked.id)).toMatchObject({
    paymentId: payment.id,
    clinicianTimeZone: 'Asia/Kolkata',
  });
  const listed = await t.http.get(`/api/admin/appointments?patientId=${alice.id}`, { token: admin.token });
  expect(listed.status).toBe(200);
  expect(listed.body.items[0]).toMatchObject({ id: booked.id, paymentId: payment.id });

  // The receipt's payment reads back by that id.
  const receipt = await t.http.get(`/api/payment/${one.body.paymentId}`, { token: alice.token });
  expect(receipt.status).toBe(200);
  expect(receipt.body.status).toBe('SUCCEEDED');
});

test("an unlisted clinician's appointments still name the clinician and their zone", async () => {
  const { t, bob } = s;
  const london = await bookableClinician(t, { timeZone: 'Europe/London', feeMinor: 30_000 });
  const when = new Date(t.clock.now().getTime() + 2 * 86_400_000);
  when.setUTCHours(11, 0, 0, 0);
  const booked = await bookAndPay(t, bob, london.id, when.toISOString());
  await catalogOf(t).setListing(london.id, {
    modes: ['online'],
    fee: { amount: 30_000, currency: t.platform.config.currency },
    centreIds: [],
    isListed: false,
  });
  const one = await t.http.get(`/api/patient-dashboard/appointments/${booked.id}`, { token: bob.token });
  expect(one.status).toBe(200);
  expect(one.body.clinicianTimeZone).toBe('Europe/London');
  expect(one.body.clinician?.id).toBe(london.id);
});

test("the clinician's day names each patient, and each name read is audited", async () => {
  const { t, doc, alice, bob, slot } = s;
  const a1 = await bookAndPay(t, bob, doc.id, slot(3, '09:00'));
  const a2 = await bookAndPay(t, alice, doc.id, slot(3, '09:30'));
  const date = slot(3, '12:00').slice(0, 10);
  const day = await t.http.get(`/api/clinician/appointments?date=${date}`, { token: doc.token });
  expect(day.status, JSON.stringify(day.body)).toBe(200);
  const byId = new Map(day.body.appointments.map((a: { id: string }) => [a.id, a]));
  expect(byId.get(a1.id)).toMatchObject({ patient: { fullName: bob.fullName }, paymentId: a1.paymentId });
  expect(byId.get(a2.id)).toMatchObject({ patient: { fullName: alice.fullName } });

  const audited = await s.rows(
    `select resource_id, actor_id from audit_log where action = 'patient.name.read' and actor_id = $1`,
    [doc.id],
  );
  expect(audited.map((r) => r.resource_id).sort()).toEqual([alice.id, bob.id].sort());
});
