import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookableClinician, initiate, localSlot } from '../../../test/factories/booking.js';
import { hmacHex } from '../../../test/payments/events.js';
import { KEY_SECRET } from '../../../test/payments/fake-razorpay.js';
import { type PaymentsApp, startPaymentsApp } from '../../../test/payments/support.js';
import { captureJob } from '../payments/payments.jobs.js';

/** Booking paid through Razorpay, whose checkout can report money authorised before it is captured. */
describe('booking with a Razorpay payment that is authorised before it is captured', () => {
  let app: PaymentsApp<{ razorpay: true }>;
  beforeAll(async () => {
    app = await startPaymentsApp({ razorpay: true });
  });
  afterAll(() => app?.close());

  test('confirm answers 202 while the money is only authorised; the capture confirms the appointment', async () => {
    const { t, patient, razorpay } = app;
    const doc = await bookableClinician(t);
    const startAt = localSlot(t, doc.timeZone, 2, '11:00');
    const held = await initiate(t, patient, { clinicianId: doc.id, startAt, provider: 'razorpay' });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    const { orderId } = held.body.payment;
    const paid = razorpay.fake.pay(orderId, 'authorized');
    const confirm = {
      appointmentId: held.body.appointment.id,
      provider: 'razorpay',
      orderId,
      paymentId: paid.id,
      signature: hmacHex(KEY_SECRET, `${orderId}|${paid.id}`),
    };

    const pending = await t.http.post('/api/booking/confirm', confirm, { token: patient.token });
    expect(pending.status, JSON.stringify(pending.body)).toBe(202);
    expect(pending.body.appointment.status).toBe('PENDING_PAYMENT');
    expect(razorpay.fake.captures).toEqual([]);

    expect(await t.runJobs({ names: [captureJob.name] })).toBe(1);
    expect(razorpay.fake.captures).toMatchObject([{ paymentId: paid.id, outcome: 'captured' }]);
    const after = await t.http.get(`/api/patient-dashboard/appointments/${held.body.appointment.id}`, {
      token: patient.token,
    });
    expect(after.body).toMatchObject({ status: 'CONFIRMED', payment: { status: 'SUCCEEDED' } });

    // The same callback again, now that the money is captured: an ordinary 200.
    const again = await t.http.post('/api/booking/confirm', confirm, { token: patient.token });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.appointment.status).toBe('CONFIRMED');
  });
});
