import { afterAll, describe, expect, test } from 'vitest';
import { checkLedgerInvariants } from '../../../test/billing/support.js';
import { type BookingScene, bookAndPay, bookingScene } from '../../../test/factories/booking.js';
import { consultScene, onDemandConsultation, setShifts } from '../../../test/factories/consultations.js';

type Scene = { rows: BookingScene['rows']; t: BookingScene['t'] };
const scenes: Scene[] = [];
afterAll(async () => {
  for (const s of scenes) await s.t.close();
});

/** A copy of a paid payment's row under a new id: money payments holds that the ledger never heard of. */
async function forgePaidCopy(s: Scene, paymentId: string, extra = '') {
  const [row] = await s.rows(
    `insert into payments (patient_id, payable_kind, payable_id, provider, kind, amount_minor, currency, status,
       description, idempotency_key, expires_at, paid_at, captured_minor, refunded_minor, refund_pending_minor,
       late_outcome, created_at, updated_at)
     select patient_id, payable_kind, payable_id, provider, kind, amount_minor, currency, status,
       description, 'forged:' || gen_random_uuid(), expires_at, paid_at, captured_minor, 0, 0,
       ${extra ? `'${extra}'` : 'null'}, created_at, updated_at
     from payments where id = $1 returning id`,
    [paymentId],
  );
  return row.id as string;
}

describe('reconciliation: paid appointments whose money is missing from the ledger', () => {
  test('clean when every paid appointment is in the ledger; a forced gap is listed on both reports', async () => {
    const s = await bookingScene();
    scenes.push(s);
    const appt = await bookAndPay(s.t, s.alice, s.doc.id, s.slot(2, '10:00'));
    await bookAndPay(s.t, s.bob, s.doc.id, s.slot(3, '11:00'));
    const clean = await s.t.http.get('/api/admin/reconciliation', { token: s.admin.token });
    expect(clean.status).toBe(200);
    expect(clean.body.ledger).toEqual({ balanced: true, mismatches: [] });

    const forged = await forgePaidCopy(s, appt.paymentId);
    // A late payment the appointment sent back never belongs in the ledger: not a gap.
    await forgePaidCopy(s, appt.paymentId, 'refund');
    const gap = {
      code: 'PAYMENT_NOT_IN_LEDGER',
      paymentId: forged,
      payableKind: 'appointment',
      payableId: appt.id,
      amount: 50_000,
      currency: 'INR',
    };
    const res = await s.t.http.get('/api/admin/reconciliation', { token: s.admin.token });
    expect(res.status).toBe(200);
    expect(res.body.ledger).toEqual({ balanced: true, mismatches: [gap] });
    const ledgerOnly = await s.t.http.get('/api/admin/ledger/reconciliation', { token: s.admin.token });
    expect(ledgerOnly.status).toBe(200);
    expect(ledgerOnly.body.mismatches).toEqual([gap]);
    const denied = await s.t.http.get('/api/admin/ledger/reconciliation', { token: s.doc.token });
    expect(denied.status).toBe(403);
    await checkLedgerInvariants(s.t);
  });
});

describe('reconciliation: paid consultations', () => {
  test('listed once a session on it exists without its money in the ledger; before any session, not a gap', async () => {
    const s = await consultScene({ doctors: 1 });
    scenes.push(s);
    const { t, patient, doctors, admin } = s;
    const paymentOf = async (consultationId: string) =>
      (
        await s.rows(
          `select p.id, p.payable_id from payments p join consultations c on c.payment_id = p.id where c.id = $1`,
          [consultationId],
        )
      )[0].id as string;
    const waiting = await onDemandConsultation(t, patient);
    await setShifts(t, admin, doctors[0]!.id);
    const c = await onDemandConsultation(t, patient);
    const started = await t.http.post(
      '/api/sessions/text',
      { consultationId: c.consultationId },
      { token: patient.token },
    );
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const report = async () =>
      (await t.http.get('/api/admin/reconciliation', { token: admin.token })).body.ledger;
    expect(await report()).toEqual({ balanced: true, mismatches: [] });

    await forgePaidCopy(s, await paymentOf(waiting.consultationId));
    expect(await report()).toEqual({ balanced: true, mismatches: [] });
    // Forced: the served consultation's payment is one the ledger never heard of.
    const forged = await forgePaidCopy(s, await paymentOf(c.consultationId));
    await s.rows('update consultations set payment_id = $1 where id = $2', [forged, c.consultationId]);
    expect((await report()).mismatches).toEqual([
      expect.objectContaining({
        code: 'PAYMENT_NOT_IN_LEDGER',
        paymentId: forged,
        payableKind: 'consultation',
      }),
    ]);
    await checkLedgerInvariants(t);
  });
});
