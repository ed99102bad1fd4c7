import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkLedgerInvariants } from '../../../test/billing/support.js';
import { type BookingScene, bookAndPay, bookingScene } from '../../../test/factories/booking.js';

let s: BookingScene;
beforeAll(async () => {
  s = await bookingScene();
});
afterAll(async () => {
  await checkLedgerInvariants(s.t);
  await s.t.close();
});

const wallet = async () => (await s.t.http.get('/api/wallet', { token: s.doc.token })).body;

describe('prepaid: a paid appointment funds its session', () => {
  test("the earning stays pending until the appointment's session ends, then is posted once", async () => {
    const { t, doc, alice } = s;
    const appt = await bookAndPay(t, alice, doc.id, s.slot(3, '10:00'));
    // INR 500.00 paid: 80% pending for the doctor, nothing posted on payment (seed 001's rule does not hold).
    expect(await wallet()).toMatchObject({ posted: { amount: 0 }, pending: { amount: 40_000 } });
    const started = await t.http.post(
      '/api/sessions/text',
      { appointmentId: appt.id },
      { token: alice.token },
    );
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.session).toMatchObject({ funding: 'prepaid', clinicianId: doc.id });
    const id = started.body.session.id;
    await t.http.post(`/api/sessions/text/${id}/activate`, {}, { token: doc.token });
    expect(await wallet()).toMatchObject({ posted: { amount: 0 }, pending: { amount: 40_000 } });
    const ended = await t.http.post(`/api/sessions/text/${id}/end`, {}, { token: doc.token });
    expect(ended.body.session).toMatchObject({ status: 'ENDED', blocksCharged: 0 });
    expect(await wallet()).toMatchObject({ posted: { amount: 40_000 }, pending: { amount: 0 } });
    // Ending again changes nothing.
    await t.http.post(`/api/sessions/text/${id}/end`, {}, { token: alice.token });
    expect((await wallet()).posted.amount).toBe(40_000);
  });

  test('a session that never started posts nothing; a cancellation voids the earning and refunds from escrow', async () => {
    const { t, doc, alice, admin } = s;
    const appt = await bookAndPay(t, alice, doc.id, s.slot(4, '11:00'));
    expect((await wallet()).pending.amount).toBe(40_000);
    const call = await t.http.post('/api/sessions/call', { appointmentId: appt.id }, { token: alice.token });
    await t.http.post(`/api/sessions/call/${call.body.session.id}/hangup`, {}, { token: alice.token });
    expect((await wallet()).pending.amount).toBe(40_000);
    const cancelled = await t.http.post(
      `/api/patient-dashboard/appointments/${appt.id}/cancel`,
      { reason: 'travel' },
      { token: alice.token },
    );
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(await wallet()).toMatchObject({ posted: { amount: 40_000 }, pending: { amount: 0 } });
    const tb = (await t.http.get('/api/admin/ledger/trial-balance', { token: admin.token })).body;
    expect(tb.balanced).toBe(true);
    const inr = Object.fromEntries(
      tb.rows
        .filter((r: { currency: string }) => r.currency === 'INR')
        .map((r: { kind: string; posted: number }) => [r.kind, r.posted]),
    );
    expect(inr).toMatchObject({
      refunds: 50_000,
      platform_revenue: 10_000,
      doctor_wallet: 40_000,
      patient_escrow: 0,
    });
    // A session on a cancelled appointment is refused.
    const late = await t.http.post('/api/sessions/text', { appointmentId: appt.id }, { token: alice.token });
    expect(late.status).toBe(409);
  });
});
