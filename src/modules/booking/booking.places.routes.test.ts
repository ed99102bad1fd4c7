import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bookableClinician,
  catalogOf,
  everyDay,
  initiate,
  localSlot,
  paySandbox,
  schedulingOf,
} from '../../../test/factories/booking.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { type FakeServer, startFakeServer } from '../../../test/fakes/http-server.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { TestClock } from '../../../test/support/clock.js';

const ZONE = 'Asia/Kolkata';

describe('in-person booking at a centre', () => {
  let t: TestApp;
  let bob: TestUser;
  const slot = (days: number, hhmm: string) => localSlot(t, ZONE, days, hhmm);
  beforeAll(async () => {
    t = await startTestApp();
    bob = await createUser(t, { role: 'patient' });
  });
  afterAll(() => t?.close());

  test('an in-person booking carries its centre into the dashboard and the messages', async () => {
    const centre = await catalogOf(t).createCentre({
      name: 'Indiranagar Clinic',
      city: 'Bengaluru',
      address: '12 CMH Road, Bengaluru',
      timeZone: ZONE,
    });
    const local = await bookableClinician(t, { timeZone: ZONE });
    await catalogOf(t).setListing(local.id, {
      modes: ['online', 'in_person'],
      fee: { amount: 70_000, currency: 'INR' },
      centreIds: [centre.id],
      isListed: true,
    });
    await schedulingOf(t).replaceRules({ userId: local.id, role: 'clinician', sessionId: 'test' }, local.id, [
      {
        weekday: 1,
        startTime: '09:00',
        endTime: '12:00',
        mode: 'in_person',
        centreId: centre.id,
        slotMinutes: 30,
      },
      {
        weekday: 2,
        startTime: '09:00',
        endTime: '12:00',
        mode: 'in_person',
        centreId: centre.id,
        slotMinutes: 30,
      },
      {
        weekday: 3,
        startTime: '09:00',
        endTime: '12:00',
        mode: 'in_person',
        centreId: centre.id,
        slotMinutes: 30,
      },
      {
        weekday: 4,
        startTime: '09:00',
        endTime: '12:00',
        mode: 'in_person',
        centreId: centre.id,
        slotMinutes: 30,
      },
      {
        weekday: 5,
        startTime: '09:00',
        endTime: '12:00',
        mode: 'in_person',
        centreId: centre.id,
        slotMinutes: 30,
      },
      {
        weekday: 6,
        startTime: '09:00',
        endTime: '12:00',
        mode: 'in_person',
        centreId: centre.id,
        slotMinutes: 30,
      },
      {
        weekday: 7,
        startTime: '09:00',
        endTime: '12:00',
        mode: 'in_person',
        centreId: centre.id,
        slotMinutes: 30,
      },
    ]);
    const startAt = slot(3, '10:00');
    const wrongMode = await initiate(t, bob, { clinicianId: local.id, startAt });
    expect(wrongMode.status).toBe(404);
    const held = await initiate(t, bob, {
      clinicianId: local.id,
      startAt,
      mode: 'in_person',
      centreId: centre.id,
    });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect(held.body.appointment).toMatchObject({
      mode: 'in_person',
      centreId: centre.id,
      price: { amount: 70_000 },
    });
    const proof = await paySandbox(t, held.body.payment.orderId);
    const id = held.body.appointment.id;
    expect(
      (await t.http.post('/api/booking/confirm', { appointmentId: id, ...proof }, { token: bob.token }))
        .status,
    ).toBe(200);
    const view = await t.http.get(`/api/patient-dashboard/appointments/${id}`, { token: bob.token });
    expect(view.body).toMatchObject({
      mode: 'in_person',
      centre: { id: centre.id, name: 'Indiranagar Clinic', address: '12 CMH Road, Bengaluru' },
      meetLink: null,
    });
    const { rows } = await t.platform.pool.query(
      `select vars from notifications where template_id = 'appointment_confirmed' and idempotency_key = $1 limit 1`,
      [`appointment:${id}:confirmed:patient`],
    );
    expect(JSON.stringify(rows)).toContain('Indiranagar Clinic');
  });
});

describe('when the payment gateway is down', () => {
  let t: TestApp;
  let gateway: FakeServer;
  let up = false;
  afterAll(async () => {
    await t?.close();
    await gateway?.close();
  });

  test('initiate answers 502, releases the hold at once, and works again once the gateway answers', async () => {
    gateway = await startFakeServer((req) =>
      up && req.method === 'POST' && req.path.endsWith('/orders')
        ? {
            status: 200,
            body: {
              id: 'order_TEST123',
              entity: 'order',
              status: 'created',
              amount: 50_000,
              currency: 'INR',
            },
          }
        : { status: 503, body: { error: { code: 'SERVER_ERROR', description: 'down' } } },
    );
    t = await startTestApp({
      env: {
        PAYMENT_PROVIDER: 'razorpay',
        RAZORPAY_KEY_ID: 'rzp_test_key',
        RAZORPAY_KEY_SECRET: 'rzp_test_secret',
        RAZORPAY_API_URL: gateway.url,
      },
    });
    const doc = await bookableClinician(t, { timeZone: ZONE, feeMinor: 50_000 });
    const pat = await createUser(t, { role: 'patient' });
    const startAt = localSlot(t, ZONE, 2, '09:00');
    const down = await initiate(t, pat, { clinicianId: doc.id, startAt });
    expect(down.status).toBe(502);
    expect(down.body.code).toBe('PAYMENT_GATEWAY_UNAVAILABLE');
    const rows = (
      await t.platform.pool.query('select status from appointments where patient_id = $1', [pat.id])
    ).rows;
    expect(rows.map((r) => r.status)).toEqual(['EXPIRED']);
    const order = JSON.parse(gateway.requests[0]!.body);
    expect(order).toMatchObject({ amount: 50_000, currency: 'INR' });

    up = true;
    const again = await initiate(t, pat, { clinicianId: doc.id, startAt });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.payment).toMatchObject({
      provider: 'razorpay',
      orderId: 'order_TEST123',
      keyId: 'rzp_test_key',
    });
  });
});

describe('Europe/London across the clock changes', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  test('09:00 London is booked at the right instant on both sides of the March and October changes', async () => {
    // Thursday 2030-03-28: the clocks go forward on Sunday 31 March and back on Sunday 27 October.
    t = await startTestApp({ clock: new TestClock('2030-03-28T12:00:00Z') });
    const doc = await bookableClinician(t, {
      timeZone: 'Europe/London',
      rules: everyDay('09:00', '10:00', 30),
    });
    const pat = await createUser(t, { role: 'patient' });
    await catalogOf(t).setPatientPlan(pat.id, { planCode: 'vise' });
    await catalogOf(t).createRelationship({ clinicianId: doc.id, patientId: pat.id });
    const cases: Array<[string, string]> = [
      ['2030-03-30T09:00:00Z', '2030-03-30'], // GMT, Saturday before
      ['2030-03-31T08:00:00Z', '2030-03-31'], // BST, the change day
      ['2030-04-01T08:00:00Z', '2030-04-01'], // BST
    ];
    for (const [startAt, day] of cases) {
      const res = await initiate(t, pat, { clinicianId: doc.id, startAt });
      expect(res.status, `${startAt} ${JSON.stringify(res.body)}`).toBe(201);
      expect(new Date(res.body.appointment.endAt).toISOString()).toBe(
        new Date(new Date(startAt).getTime() + 30 * 60_000).toISOString(),
      );
      const dayView = await t.http.get(`/api/clinician/appointments?date=${day}`, { token: doc.token });
      expect(dayView.body.appointments.map((a: any) => new Date(a.startAt).getTime())).toEqual([
        Date.parse(startAt),
      ]);
    }
    // 09:00 GMT on the change day is 10:00 BST, outside the rules.
    expect((await initiate(t, pat, { clinicianId: doc.id, startAt: '2030-03-31T09:00:00Z' })).status).toBe(
      404,
    );

    t.clock.set('2030-10-24T12:00:00Z');
    const { signIn } = await import('../../../test/factories/identity.js');
    pat.token = await signIn(t, pat.id, 'patient');
    doc.token = await signIn(t, doc.id, 'clinician');
    for (const [startAt, day] of [
      ['2030-10-26T08:00:00Z', '2030-10-26'], // BST
      ['2030-10-27T09:00:00Z', '2030-10-27'], // GMT, the change day
    ] as const) {
      const res = await initiate(t, pat, { clinicianId: doc.id, startAt });
      expect(res.status, `${startAt} ${JSON.stringify(res.body)}`).toBe(201);
      const dayView = await t.http.get(`/api/clinician/appointments?date=${day}`, { token: doc.token });
      expect(dayView.body.appointments.map((a: any) => new Date(a.startAt).getTime())).toEqual([
        Date.parse(startAt),
      ]);
    }
  });
});
