import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkLedgerInvariants } from '../../../test/billing/support.js';
import {
  type ConsultScene,
  consultScene,
  onDemandConsultation,
  setShifts,
} from '../../../test/factories/consultations.js';
import { createUser } from '../../../test/factories/identity.js';

let s: ConsultScene;
beforeAll(async () => {
  s = await consultScene({ doctors: 1 });
});
afterAll(async () => {
  await checkLedgerInvariants(s.t);
  await s.t.close();
});

const start = (kind: 'text' | 'call', consultationId: string, token: string) =>
  s.t.http.post(`/api/sessions/${kind}`, { consultationId }, { token });

describe('sessions on a consultation ({consultationId}): prepaid, with the assigned doctor', () => {
  test('nobody on shift: the consultation has no doctor yet, so no session (409), and nothing is written', async () => {
    const c = await onDemandConsultation(s.t, s.patient);
    expect(c.assignedDoctor).toBeNull();
    const res = await start('text', c.consultationId, s.patient.token);
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.code).toBe('CONSULTATION_NOT_ASSIGNED');
    expect(await s.rows('select id from sessions where consultation_id = $1', [c.consultationId])).toEqual(
      [],
    );
  });

  test('the patient chats with the assigned doctor: no credits, the paid price pends then posts once at the end', async () => {
    const { t, patient, doctors, admin } = s;
    const doc = doctors[0]!;
    await setShifts(t, admin, doc.id);
    const c = await onDemandConsultation(t, patient);
    expect(c.assignedDoctor?.doctorId).toBe(doc.id);

    // Another patient, and an unknown consultation: 404; a doctor cannot start one (patients only).
    const other = await createUser(t, { role: 'patient' });
    expect((await start('text', c.consultationId, other.token)).status).toBe(404);
    expect((await start('text', '00000000-0000-4000-8000-000000000000', patient.token)).status).toBe(404);
    expect((await start('text', c.consultationId, doc.token)).status).toBe(403);

    // The patient holds no subscription: a consultation paid upfront needs no credits.
    const res = await start('text', c.consultationId, patient.token);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.session).toMatchObject({ funding: 'prepaid', clinicianId: doc.id, status: 'WAITING' });
    const id = res.body.session.id as string;
    const wallet = async () => (await t.http.get('/api/wallet', { token: doc.token })).body;
    // Video paid INR 299.00: 80% pending for the doctor.
    expect(await wallet()).toMatchObject({ posted: { amount: 0 }, pending: { amount: 23_920 } });

    expect((await t.http.post(`/api/sessions/text/${id}/activate`, {}, { token: doc.token })).status).toBe(
      200,
    );
    const ended = await t.http.post(`/api/sessions/text/${id}/end`, {}, { token: patient.token });
    expect(ended.body.session).toMatchObject({ status: 'ENDED', blocksCharged: 0 });
    expect(await wallet()).toMatchObject({ posted: { amount: 23_920 }, pending: { amount: 0 } });

    // A follow-up call on the same consultation: funded once, earned once, no credits.
    const call = await start('call', c.consultationId, patient.token);
    expect(call.status, JSON.stringify(call.body)).toBe(201);
    const callId = call.body.session.id as string;
    await t.http.post(`/api/sessions/call/${callId}/connect`, {}, { token: doc.token });
    await t.http.post(`/api/sessions/call/${callId}/hangup`, {}, { token: doc.token });
    expect(await wallet()).toMatchObject({ posted: { amount: 23_920 }, pending: { amount: 0 } });
    const credits = await s.rows(
      `select count(*)::int as n from ledger_transfers where cause in ('text_block', 'call_block')`,
    );
    expect(credits[0].n).toBe(0);
    const received = await s.rows(
      `select count(*)::int as n from ledger_transfers where idempotency_key like 'payment:%:received'`,
    );
    expect(received[0].n).toBe(1);
    const tb = (await t.http.get('/api/admin/ledger/trial-balance', { token: admin.token })).body;
    expect(tb.balanced).toBe(true);
  });

  test('a closed consultation takes no new session (409 CONSULTATION_NOT_OPEN)', async () => {
    const { t, patient, doctors } = s;
    const doc = doctors[0]!;
    const c = await onDemandConsultation(t, patient);
    expect(c.assignedDoctor?.doctorId).toBe(doc.id);
    const act = await t.http.post(
      `/api/consultations/${c.consultationId}/activate`,
      {},
      { token: doc.token },
    );
    expect(act.status, JSON.stringify(act.body)).toBe(200);
    const closed = await t.http.post(
      `/api/consultations/${c.consultationId}/close`,
      {},
      { token: doc.token },
    );
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    const res = await start('text', c.consultationId, patient.token);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CONSULTATION_NOT_OPEN');
  });
});
