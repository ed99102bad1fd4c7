import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bookAndPay,
  bookableClinician,
  catalogOf,
  everyDay,
  initiate,
  localSlot,
  paySandbox,
  renewTokens,
  setRules,
} from '../../../test/factories/booking.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

const ZONE = 'Asia/Kolkata';

describe('booking over HTTP', () => {
  let t: TestApp;
  let doc: Awaited<ReturnType<typeof bookableClinician>>;
  let alice: TestUser;
  let bob: TestUser;

  const count = async (sql: string, values: unknown[]) =>
    Number((await t.platform.pool.query(sql, values)).rows[0].count);
  const slot = (days: number, hhmm: string) => localSlot(t, ZONE, days, hhmm);

  beforeAll(async () => {
    t = await startTestApp();
    doc = await bookableClinician(t, { timeZone: ZONE, feeMinor: 50_000 });
    alice = await createUser(t, { role: 'patient' });
    bob = await createUser(t, { role: 'patient' });
  });
  afterAll(() => t?.close());

  test('a paid initiate holds the slot with a payment until it expires', async () => {
    const startAt = slot(2, '09:00');
    const res = await initiate(t, alice, { clinicianId: doc.id, startAt });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { appointment, payment } = res.body;
    expect(appointment).toMatchObject({
      status: 'PENDING_PAYMENT',
      patientId: alice.id,
      clinicianId: doc.id,
      source: 'WEB_PATIENT',
      bookedByUserId: alice.id,
      price: { amount: 50_000, currency: 'INR' },
    });
    expect(new Date(appointment.startAt).toISOString()).toBe(startAt);
    expect(new Date(appointment.endAt).getTime() - new Date(startAt).getTime()).toBe(30 * 60_000);
    const holdEnds = t.clock.now().getTime() + 15 * 60_000;
    expect(new Date(appointment.holdExpiresAt).getTime()).toBe(holdEnds);
    expect(payment).toMatchObject({ provider: 'sandbox', amount: 50_000, currency: 'INR' });
    expect(new Date(payment.expiresAt).getTime()).toBe(holdEnds);
    expect(payment.checkoutUrl).toContain(`/sandbox/checkout/${payment.orderId}`);

    // The same patient asking again for the same slot gets the same hold and payment back.
    const again = await initiate(t, alice, { clinicianId: doc.id, startAt });
    expect(again.status).toBe(200);
    expect(again.body.appointment.id).toBe(appointment.id);
    expect(again.body.payment.paymentId).toBe(payment.paymentId);

    // Slot search shows it held.
    const day = startAt.slice(0, 10);
    const slots = await t.http.get(`/api/clinicians/${doc.id}/slots?from=${day}&to=${day}`);
    const listed = slots.body.slots.find((s: any) => new Date(s.startAt).toISOString() === startAt);
    expect(listed?.status).toBe('held');
  });

  test('the same patient initiating one slot twice at once: one 201 (created), one 200 (the same hold replayed)', async () => {
    const paula = await createUser(t, { role: 'patient' });
    const startAt = slot(2, '16:00');
    const results = await Promise.all([
      initiate(t, paula, { clinicianId: doc.id, startAt }),
      initiate(t, paula, { clinicianId: doc.id, startAt }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 201]);
    const [a, b] = results.map((r) => r.body);
    expect(b.appointment.id).toBe(a.appointment.id);
    expect(b.payment.paymentId).toBe(a.payment.paymentId);
    expect(b.payment.orderId).toBe(a.payment.orderId);
    expect(await count('select count(*) from appointments where patient_id = $1', [paula.id])).toBe(1);
    expect(await count('select count(*) from payments where patient_id = $1', [paula.id])).toBe(1);
  });

  test('50 concurrent initiates of one slot: exactly one 201, the rest 409, losers write nothing', async () => {
    const patients = await Promise.all(Array.from({ length: 50 }, () => createUser(t, { role: 'patient' })));
    const startAt = slot(3, '10:00');
    const results = await Promise.all(patients.map((p) => initiate(t, p, { clinicianId: doc.id, startAt })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('SLOT_UNAVAILABLE');
    expect(await count('select count(*) from appointments where starts_at = $1', [startAt])).toBe(1);
    const ids = patients.map((p) => p.id);
    expect(await count('select count(*) from payments where patient_id = any($1)', [ids])).toBe(1);
  });

  test('overlapping slots of different lengths cannot both be held', async () => {
    const other = await bookableClinician(t, { timeZone: ZONE, rules: everyDay('09:00', '12:00', 30) });
    const held = await initiate(t, alice, { clinicianId: other.id, startAt: slot(2, '09:30') });
    expect(held.status).toBe(201);
    // The clinician switches to hour-long slots: 09:00-10:00 now overlaps the held 09:30-10:00.
    await setRules(t, other.id, everyDay('09:00', '12:00', 60));
    const clash = await initiate(t, bob, { clinicianId: other.id, startAt: slot(2, '09:00') });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('SLOT_UNAVAILABLE');
    const fine = await initiate(t, bob, { clinicianId: other.id, startAt: slot(2, '10:00') });
    expect(fine.status).toBe(201);
  });

  test('a lapsed hold keeps its slot until its expiry has asked the gateway; then the slot is free and the checkout closed', async () => {
    const carol = await createUser(t, { role: 'patient' });
    const dave = await createUser(t, { role: 'patient' });
    const startAt = slot(4, '11:00');
    const first = await initiate(t, carol, { clinicianId: doc.id, startAt });
    expect(first.status).toBe(201);
    t.clock.advanceMinutes(14);
    expect((await initiate(t, dave, { clinicianId: doc.id, startAt })).status).toBe(409);
    t.clock.advanceMinutes(1);
    await renewTokens(t, carol, dave, alice, bob, doc);
    const view = () =>
      t.http.get(`/api/patient-dashboard/appointments/${first.body.appointment.id}`, { token: carol.token });
    // Lapsed, but its payment may have been taken in time: the slot stays Carol's until the gateway answers.
    expect((await view()).body.status).toBe('PENDING_PAYMENT');
    const meanwhile = await initiate(t, dave, { clinicianId: doc.id, startAt });
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.body.code).toBe('SLOT_UNAVAILABLE');
    await t.runJobs({ names: ['booking.expire-holds'] });
    expect((await view()).body.status).toBe('PENDING_PAYMENT');

    // The expiry asks the sandbox: still open, so it is closed there and the slot released.
    await t.runJobs({ names: ['payments.expire'] });
    expect((await view()).body).toMatchObject({ status: 'EXPIRED', payment: { status: 'EXPIRED' } });
    const second = await initiate(t, dave, { clinicianId: doc.id, startAt });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    const pay = await fetch(`${t.url}/sandbox/checkout/${first.body.payment.orderId}/pay`, {
      method: 'POST',
      redirect: 'manual',
    });
    expect(pay.status).toBe(409);
    expect(
      await count('select count(*) from refunds where payment_id = $1', [first.body.payment.paymentId]),
    ).toBe(0);
    const appts = await t.platform.pool.query(
      'select patient_id, status from appointments where starts_at = $1',
      [startAt],
    );
    expect(appts.rows.filter((r) => r.status === 'PENDING_PAYMENT').map((r) => r.patient_id)).toEqual([
      dave.id,
    ]);
  });

  test('late money (1 ms after the hold expired) for a slot still free confirms it', async () => {
    const erin = await createUser(t, { role: 'patient' });
    const startAt = slot(4, '12:00');
    const held = await initiate(t, erin, { clinicianId: doc.id, startAt });
    // Paid 1 ms after the hold expired.
    t.clock.advance(15 * 60_000 + 1);
    await renewTokens(t, erin, alice, bob, doc);
    const proof = await paySandbox(t, held.body.payment.orderId);
    const res = await t.http.post(
      '/api/booking/confirm',
      { appointmentId: held.body.appointment.id, ...proof },
      { token: erin.token },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.appointment.status).toBe('CONFIRMED');
    expect(
      await count('select count(*) from refunds where payment_id = $1', [held.body.payment.paymentId]),
    ).toBe(0);
  });

  test('the webhook confirms whichever comes first; the callback after it changes nothing; a failed payment keeps the hold until it lapses', async () => {
    const hank = await createUser(t, { role: 'patient' });
    const held = await initiate(t, hank, { clinicianId: doc.id, startAt: slot(4, '15:00') });
    const proof = await paySandbox(t, held.body.payment.orderId);
    await t.runJobs();
    const id = held.body.appointment.id;
    const view = await t.http.get(`/api/patient-dashboard/appointments/${id}`, { token: hank.token });
    expect(view.body).toMatchObject({
      status: 'CONFIRMED',
      payment: { status: 'SUCCEEDED', amount: 50_000 },
    });
    const callback = await t.http.post(
      '/api/booking/confirm',
      { appointmentId: id, ...proof },
      { token: hank.token },
    );
    expect(callback.status).toBe(200);
    expect(callback.body.appointment.status).toBe('CONFIRMED');
    const confirmations = await count(
      `select count(*) from notifications where template_id = 'appointment_confirmed' and idempotency_key = $1`,
      [`appointment:${id}:confirmed:patient`],
    );
    expect(confirmations).toBeGreaterThan(0);
    const before = confirmations;
    await t.runJobs();
    expect(
      await count(
        `select count(*) from notifications where template_id = 'appointment_confirmed' and idempotency_key = $1`,
        [`appointment:${id}:confirmed:patient`],
      ),
    ).toBe(before);

    const ivan = await createUser(t, { role: 'patient' });
    const failing = await initiate(t, ivan, { clinicianId: doc.id, startAt: slot(4, '15:30') });
    const fail = await fetch(`${t.url}/sandbox/checkout/${failing.body.payment.orderId}/fail`, {
      method: 'POST',
      redirect: 'manual',
    });
    expect(fail.status).toBe(303);
    await t.runJobs();
    const failed = await t.http.get(`/api/patient-dashboard/appointments/${failing.body.appointment.id}`, {
      token: ivan.token,
    });
    // The hold stays Ivan's until it lapses: initiating again opens a fresh payment attempt.
    expect(failed.body).toMatchObject({ status: 'PENDING_PAYMENT', payment: { status: 'FAILED' } });
    expect((await initiate(t, hank, { clinicianId: doc.id, startAt: slot(4, '15:30') })).status).toBe(409);
    t.clock.advanceMinutes(15);
    await renewTokens(t, hank, ivan, alice, bob, doc);
    await t.runJobs({ names: ['booking.expire-holds'] });
    const lapsed = await t.http.get(`/api/patient-dashboard/appointments/${failing.body.appointment.id}`, {
      token: ivan.token,
    });
    expect(lapsed.body.status).toBe('EXPIRED');
    expect((await initiate(t, hank, { clinicianId: doc.id, startAt: slot(4, '15:30') })).status).toBe(201);
  });

  test('a patient may hold at most 3 unpaid slots at once', async () => {
    const frank = await createUser(t, { role: 'patient' });
    for (const hhmm of ['13:00', '13:30', '14:00'])
      expect((await initiate(t, frank, { clinicianId: doc.id, startAt: slot(5, hhmm) })).status).toBe(201);
    const fourth = await initiate(t, frank, { clinicianId: doc.id, startAt: slot(5, '14:30') });
    expect(fourth.status).toBe(409);
    expect(fourth.body.code).toBe('TOO_MANY_HOLDS');
    expect(await count('select count(*) from appointments where patient_id = $1', [frank.id])).toBe(3);
  });

  test('bad input is a 4xx and changes nothing', async () => {
    const before = await count('select count(*) from appointments', []);
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ clinicianId: doc.id, startAt: 'tomorrow' }, 400, 'VALIDATION_FAILED'],
      [{ clinicianId: 'nope', startAt: slot(2, '09:00') }, 400, 'VALIDATION_FAILED'],
      [{ clinicianId: alice.id, startAt: slot(2, '09:00') }, 404, 'NOT_FOUND'],
      [{ clinicianId: doc.id, startAt: slot(2, '09:10') }, 404, 'SLOT_NOT_FOUND'],
      [{ clinicianId: doc.id, startAt: slot(2, '09:00'), mode: 'in_person' }, 404, 'SLOT_NOT_FOUND'],
      [{ clinicianId: doc.id, startAt: slot(-1, '09:00') }, 409, 'SLOT_UNAVAILABLE'],
      [{ clinicianId: doc.id, startAt: slot(2, '09:00'), patientId: bob.id }, 403, 'FORBIDDEN'],
    ];
    for (const [body, status, code] of cases) {
      const res = await initiate(t, alice, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code).toBe(code);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await t.http.post('/api/booking/initiate', { clinicianId: doc.id })).status).toBe(401);
    expect(await count('select count(*) from appointments', [])).toBe(before);
  });

  test('front desk and admins book on a patient’s behalf', async () => {
    const desk = await createUser(t, { role: 'staff' });
    const admin = await createUser(t, { role: 'admin' });
    const gina = await createUser(t, { role: 'patient' });
    const byDesk = await initiate(t, desk, {
      clinicianId: doc.id,
      startAt: slot(6, '09:00'),
      patientId: gina.id,
    });
    expect(byDesk.status, JSON.stringify(byDesk.body)).toBe(201);
    expect(byDesk.body.appointment).toMatchObject({
      patientId: gina.id,
      bookedByUserId: desk.id,
      source: 'FRONT_DESK',
    });
    const byAdmin = await initiate(t, admin, {
      clinicianId: doc.id,
      startAt: slot(6, '09:30'),
      patientId: gina.id,
    });
    expect(byAdmin.body.appointment).toMatchObject({
      patientId: gina.id,
      bookedByUserId: admin.id,
      source: 'ADMIN',
    });
    const noPatient = await initiate(t, desk, { clinicianId: doc.id, startAt: slot(6, '10:00') });
    expect(noPatient.status).toBe(400);
    const notAPatient = await initiate(t, desk, {
      clinicianId: doc.id,
      startAt: slot(6, '10:00'),
      patientId: doc.id,
    });
    expect(notAPatient.status).toBe(404);
    const clinicianBooks = await initiate(t, doc, { clinicianId: doc.id, startAt: slot(6, '10:00') });
    expect(clinicianBooks.status).toBe(403);
  });

  test('vise with a relationship books free and CONFIRMED at once; vise without one pays', async () => {
    const vera = await createUser(t, { role: 'patient' });
    await catalogOf(t).setPatientPlan(vera.id, { planCode: 'vise' });
    const paid = await initiate(t, vera, { clinicianId: doc.id, startAt: slot(7, '09:00') });
    expect(paid.status).toBe(201);
    expect(paid.body.payment).not.toBeNull();
    expect(paid.body.appointment.status).toBe('PENDING_PAYMENT');

    await catalogOf(t).createRelationship({ clinicianId: doc.id, patientId: vera.id });
    const free = await initiate(t, vera, { clinicianId: doc.id, startAt: slot(7, '10:00') });
    expect(free.status, JSON.stringify(free.body)).toBe(201);
    expect(free.body.payment).toBeNull();
    expect(free.body.appointment).toMatchObject({ status: 'CONFIRMED', price: { amount: 0 } });
    const id = free.body.appointment.id;
    const sent = await t.platform.pool.query(
      `select distinct template_id from notifications where idempotency_key like $1 order by 1`,
      [`appointment:${id}:%`],
    );
    expect(sent.rows.map((r) => r.template_id)).toEqual(
      expect.arrayContaining(['appointment_confirmed', 'doctor_new_booking']),
    );
  });

  test('confirmation tells patient, clinician and admins, and an online appointment gets its meet link', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const appt = await bookAndPay(t, bob, doc.id, slot(9, '09:00'));
    const keys = async () =>
      (
        await t.platform.pool.query(
          `select distinct template_id, user_id as "to" from notifications where idempotency_key like $1`,
          [`appointment:${appt.id}:%`],
        )
      ).rows.map((r) => `${r.template_id}:${r.to}`);
    expect(await keys()).toEqual(
      expect.arrayContaining([
        `appointment_confirmed:${bob.id}`,
        `doctor_new_booking:${doc.id}`,
        `admin_new_booking:${admin.id}`,
      ]),
    );
    await t.runJobs({ names: ['video.create_meeting'] });
    const view = await t.http.get(`/api/patient-dashboard/appointments/${appt.id}`, { token: bob.token });
    expect(view.body.meetLink).toMatch(/^https:\/\//);
    expect(await keys()).toContain(`meet_link:${bob.id}`);
  });

  test('a patient cannot see, cancel or reschedule another patient’s appointment', async () => {
    const appt = await bookAndPay(t, alice, doc.id, slot(8, '09:00'));
    const id = appt.id;
    expect((await t.http.get(`/api/patient-dashboard/appointments/${id}`, { token: bob.token })).status).toBe(
      404,
    );
    const cancel = await t.http.post(
      `/api/patient-dashboard/appointments/${id}/cancel`,
      {},
      { token: bob.token },
    );
    expect(cancel.status).toBe(404);
    const move = await t.http.post(
      `/api/appointments/${id}/reschedule`,
      { startAt: slot(8, '10:00') },
      { token: bob.token },
    );
    expect(move.status).toBe(404);
    const list = await t.http.get('/api/patient-dashboard/appointments?scope=upcoming', { token: bob.token });
    expect(list.body.map((a: any) => a.id)).not.toContain(id);
    const own = await t.http.get(`/api/patient-dashboard/appointments/${id}`, { token: alice.token });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({
      status: 'CONFIRMED',
      clinician: { id: doc.id, specialization: 'General Physician' },
      payment: { status: 'SUCCEEDED', amount: 50_000, currency: 'INR' },
    });
  });
});
