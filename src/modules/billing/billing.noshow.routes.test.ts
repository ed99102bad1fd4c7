import { afterAll, describe, expect, test } from 'vitest';
import { billingOf, checkLedgerInvariants } from '../../../test/billing/support.js';
import { type BookingScene, bookAndPay, bookingScene } from '../../../test/factories/booking.js';

const scenes: BookingScene[] = [];
afterAll(async () => {
  for (const s of scenes) {
    await checkLedgerInvariants(s.t);
    await s.t.close();
  }
});

const wallet = async (s: BookingScene) => (await s.t.http.get('/api/wallet', { token: s.doc.token })).body;
const paymentOf = async (s: BookingScene, id: string) =>
  (await s.rows('select status, refunded_minor from payments where id = $1', [id]))[0];

/** A paid appointment whose start has passed, then the doctor marks it a no-show (the patient did not come). */
async function patientNoShow(s: BookingScene, days: number) {
  const appt = await bookAndPay(s.t, s.alice, s.doc.id, s.slot(days, '10:00'));
  await s.moveTo(new Date(appt.startAt).getTime() + 20 * 60_000);
  const res = await s.t.http.post(`/api/appointments/${appt.id}/no-show`, {}, { token: s.doc.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.appointment.status).toBe('NO_SHOW');
  await s.t.runJobs({ names: ['payments.refund'] });
  return appt;
}

describe('NO_SHOW_POLICY', () => {
  test('keep_fee (default): the patient did not come, the doctor earns and nothing is refunded', async () => {
    const s = await bookingScene();
    scenes.push(s);
    const appt = await patientNoShow(s, 2);
    expect(await wallet(s)).toMatchObject({ posted: { amount: 40_000 }, pending: { amount: 0 } });
    expect(await paymentOf(s, appt.paymentId)).toMatchObject({ status: 'SUCCEEDED', refunded_minor: 0 });

    // The doctor did not come (recorded by billing's service): full refund, earning voided.
    const other = await bookAndPay(s.t, s.bob, s.doc.id, s.slot(4, '12:00'));
    expect((await wallet(s)).pending.amount).toBe(40_000);
    const outcome = await s.t.platform.uow((tx) =>
      billingOf(s.t).applyNoShow(
        tx,
        { payableKind: 'appointment', payableId: other.id, patientId: s.bob.id },
        'clinician',
      ),
    );
    expect(outcome).toBe('refund');
    expect(await wallet(s)).toMatchObject({ posted: { amount: 40_000 }, pending: { amount: 0 } });
    const escrow = await s.rows(
      `select (posted_credits - posted_debits)::int as balance from ledger_accounts where kind = 'patient_escrow' and ref = $1`,
      [`appointment:${other.id}`],
    );
    expect(escrow[0].balance).toBe(0);
  });

  test('refund: the patient did not come, the earning is voided and the payment refunded in full (once)', async () => {
    const s = await bookingScene({ NO_SHOW_POLICY: 'refund' });
    scenes.push(s);
    const appt = await patientNoShow(s, 2);
    expect(await wallet(s)).toMatchObject({ posted: { amount: 0 }, pending: { amount: 0 } });
    expect(await paymentOf(s, appt.paymentId)).toMatchObject({ status: 'REFUNDED', refunded_minor: 50_000 });
    const refunds = await s.rows(
      `select sum(posted_credits - posted_debits)::int as total from ledger_accounts where kind = 'refunds'`,
    );
    expect(refunds[0].total).toBe(50_000);
    // Marking it again is refused and refunds nothing more.
    const again = await s.t.http.post(`/api/appointments/${appt.id}/no-show`, {}, { token: s.doc.token });
    expect(again.status).toBe(409);
    expect((await s.rows('select count(*)::int as n from refunds'))[0].n).toBe(1);
  });
});

describe("POST /api/admin/appointments/:id/clinician-no-show (the doctor's absence)", () => {
  const clinicianNoShow = (s: BookingScene, id: string, token: string) =>
    s.t.http.post(`/api/admin/appointments/${id}/clinician-no-show`, {}, { token });
  const escrowOf = async (s: BookingScene, id: string) =>
    (
      await s.rows(
        `select (posted_credits - posted_debits)::int as balance from ledger_accounts where kind = 'patient_escrow' and ref = $1`,
        [`appointment:${id}`],
      )
    )[0].balance;

  test('an admin records it after the start: cancelled, refunded in full, earning voided, patient told; once', async () => {
    const s = await bookingScene();
    scenes.push(s);
    const appt = await bookAndPay(s.t, s.alice, s.doc.id, s.slot(2, '10:00'));
    expect((await wallet(s)).pending.amount).toBe(40_000);
    const before = await clinicianNoShow(s, appt.id, s.admin.token);
    expect(before.status).toBe(409);
    expect(before.body.code).toBe('APPOINTMENT_NOT_STARTED');
    await s.moveTo(new Date(appt.startAt).getTime() + 40 * 60_000);
    const byDoctor = await clinicianNoShow(s, appt.id, s.doc.token);
    expect(byDoctor.status).toBe(403);
    const byPatient = await clinicianNoShow(s, appt.id, s.alice.token);
    expect(byPatient.status).toBe(403);
    expect(await paymentOf(s, appt.paymentId)).toMatchObject({ status: 'SUCCEEDED', refunded_minor: 0 });

    const res = await clinicianNoShow(s, appt.id, s.admin.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.appointment.status).toBe('CANCELLED');
    expect(res.body.refund).toMatchObject({ amount: { amount: 50_000, currency: 'INR' } });
    await s.t.runJobs({ names: ['payments.refund'] });
    expect(await paymentOf(s, appt.paymentId)).toMatchObject({ status: 'REFUNDED', refunded_minor: 50_000 });
    expect(await wallet(s)).toMatchObject({ posted: { amount: 0 }, pending: { amount: 0 } });
    expect(await escrowOf(s, appt.id)).toBe(0);
    const told = await s.t.http.get('/api/notifications', { token: s.alice.token });
    expect(JSON.stringify(told.body)).toContain('appointment_cancelled');

    const again = await clinicianNoShow(s, appt.id, s.admin.token);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INVALID_APPOINTMENT_STATE');
    expect((await s.rows('select count(*)::int as n from refunds'))[0].n).toBe(1);
    const missing = await clinicianNoShow(s, '00000000-0000-4000-8000-000000000000', s.admin.token);
    expect(missing.status).toBe(404);
  });

  test('after the patient was marked absent by mistake (keep_fee posted the earning): taken back, refunded', async () => {
    const s = await bookingScene();
    scenes.push(s);
    const appt = await patientNoShow(s, 2);
    expect((await wallet(s)).posted.amount).toBe(40_000);
    const res = await clinicianNoShow(s, appt.id, s.admin.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await s.t.runJobs({ names: ['payments.refund'] });
    expect(await wallet(s)).toMatchObject({ posted: { amount: 0 }, pending: { amount: 0 } });
    expect(await paymentOf(s, appt.paymentId)).toMatchObject({ status: 'REFUNDED', refunded_minor: 50_000 });
    expect(await escrowOf(s, appt.id)).toBe(0);
    const refunds = await s.rows(
      `select sum(posted_credits - posted_debits)::int as total from ledger_accounts where kind = 'refunds'`,
    );
    expect(refunds[0].total).toBe(50_000);
  });
});
