import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { paySandbox } from '../../../test/factories/booking.js';
import {
  CHEST_PAIN,
  type ConsultScene,
  collect,
  confirm,
  consultScene,
  detailed,
  paidClinicalSession,
  SORE_THROAT,
  select,
  setShifts,
} from '../../../test/factories/consultations.js';
import { createUser } from '../../../test/factories/identity.js';

describe('seed 000 over HTTP: triage, payment, clinical session, consultation', () => {
  let s: ConsultScene;
  const count = async (sql: string, values: unknown[] = []) => Number((await s.rows(sql, values))[0].count);

  beforeAll(async () => {
    s = await consultScene({ doctors: 2 });
    for (const d of s.doctors) await setShifts(s.t, s.admin, d.id);
  });
  afterAll(() => s?.t.close());

  test('the whole flow: preliminary assessment, payment, Phase 1 reply, Phase 2 reply with the doctor on shift', async () => {
    const { t, patient, doctors } = s;
    const c = await collect(t, patient, SORE_THROAT);
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body.preliminaryDiagnosis.urgency).not.toBe('emergency');
    expect(c.body.preliminaryDiagnosis.possible_diagnoses.length).toBeLessThanOrEqual(5);
    expect(c.body.disclaimer.length).toBeGreaterThan(20);
    expect(c.body.nextStep).toEqual({
      endpoint: '/consultations/select-consultation',
      sessionId: c.body.sessionId,
    });
    const type = c.body.recommendedConsultationTypes.includes('video')
      ? 'video'
      : c.body.recommendedConsultationTypes[0];

    const sel = await select(t, patient, c.body.sessionId, type);
    expect(sel.status, JSON.stringify(sel.body)).toBe(200);
    expect(sel.body).toMatchObject({ sessionId: c.body.sessionId, paymentStatus: 'pending' });
    expect(sel.body.payment).toMatchObject({ provider: 'sandbox', currency: 'INR' });
    const price = { chat: 19_900, video: 29_900, emergency: 49_900 }[type as 'chat'];
    expect(sel.body.payment.amount).toBe(price);

    // Out of order: confirming before the gateway has the money.
    const early = await confirm(t, patient, {
      sessionId: c.body.sessionId,
      paymentId: sel.body.payment.paymentId,
    });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('PAYMENT_NOT_CONFIRMED');
    expect(await count('select count(*) from clinical_sessions')).toBe(0);

    const proof = await paySandbox(t, sel.body.payment.orderId);
    const p1 = await confirm(t, patient, { sessionId: c.body.sessionId, ...proof });
    expect(p1.status, JSON.stringify(p1.body)).toBe(200);
    expect(p1.body).toMatchObject({
      sessionId: c.body.sessionId,
      paymentStatus: 'confirmed',
      paymentId: sel.body.payment.paymentId,
      amount: price / 100,
      currency: 'INR',
      message: 'Payment confirmed. Please proceed to detailed symptom collection.',
      nextStep: {
        endpoint: '/consultations/symptoms/collect_detailed_symptoms',
        clinicalSessionId: p1.body.clinicalSessionId,
      },
    });
    // Phase 1 is payment only: no consultation, no doctor.
    expect(await count('select count(*) from consultations where patient_id = $1', [patient.id])).toBe(0);
    const [triage] = await s.rows('select status from triage_sessions where id = $1', [c.body.sessionId]);
    expect(triage.status).toBe('payment_confirmed');

    // Confirming twice returns the same clinical session and creates nothing new.
    const again = await confirm(t, patient, { sessionId: c.body.sessionId, ...proof });
    expect(again.status).toBe(200);
    expect(again.body.clinicalSessionId).toBe(p1.body.clinicalSessionId);
    expect(
      await count('select count(*) from clinical_sessions where triage_session_id = $1', [c.body.sessionId]),
    ).toBe(1);

    const p2 = await detailed(t, patient, p1.body.clinicalSessionId);
    expect(p2.status, JSON.stringify(p2.body)).toBe(201);
    expect(p2.body).toMatchObject({
      sessionId: c.body.sessionId,
      clinicalSessionId: p1.body.clinicalSessionId,
      consultationStatus: 'doctor_review_pending',
      message: 'Consultation created successfully. Doctor will review shortly.',
    });
    expect(Array.isArray(p2.body.aiDiagnosis.possible_diagnoses)).toBe(true);
    expect(typeof p2.body.aiDiagnosis.confidence_score).toBe('number');
    expect(doctors.map((d) => d.id)).toContain(p2.body.assignedDoctor.doctorId);
    expect(p2.body.assignedDoctor.name).toMatch(/^Dr\. Test/);
    // 06:00 UTC is 11:30 in Kolkata.
    expect(p2.body.assignedDoctor.shift).toBe('morning');

    const [row] = await s.rows('select * from consultations where id = $1', [p2.body.consultationId]);
    expect(row).toMatchObject({ status: 'PENDING', pending_reason: 'doctor_review', payment_cleared: true });
    const [clinical] = await s.rows('select status, consultation_id from clinical_sessions where id = $1', [
      p1.body.clinicalSessionId,
    ]);
    expect(clinical).toEqual({ status: 'consultation_created', consultation_id: p2.body.consultationId });

    // The doctor hears of it; the creation is audited.
    const notes = await s.rows(
      "select channel from notifications where user_id = $1 and template_id = 'consultation_assigned'",
      [p2.body.assignedDoctor.doctorId],
    );
    expect(notes.map((n) => n.channel)).toContain('in_app');
    expect(
      await count(
        "select count(*) from audit_log where action = 'consultation.create' and resource_id = $1",
        [p2.body.consultationId],
      ),
    ).toBe(1);

    // A used clinical session cannot make a second consultation.
    const reuse = await detailed(t, patient, p1.body.clinicalSessionId);
    expect(reuse.status).toBe(409);
    expect(reuse.body.code).toBe('CLINICAL_SESSION_USED');
    expect(await count('select count(*) from consultations where patient_id = $1', [patient.id])).toBe(1);
  });

  test('detailed symptoms before payment: 400 PAYMENT_NOT_CONFIRMED, nothing created', async () => {
    const { t } = s;
    const pat = await createUser(t, { role: 'patient' });
    const c = await collect(t, pat);
    const sel = await select(t, pat, c.body.sessionId, c.body.recommendedConsultationTypes[0]);
    expect(sel.status).toBe(200);
    for (const id of [c.body.sessionId, sel.body.payment.paymentId, '00000000-0000-4000-8000-000000000000']) {
      const res = await detailed(t, pat, id);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('PAYMENT_NOT_CONFIRMED');
    }
    expect(await count('select count(*) from consultations where patient_id = $1', [pat.id])).toBe(0);
  });

  test("another patient's clinical session is refused and left untouched", async () => {
    const { t } = s;
    const owner = await createUser(t, { role: 'patient' });
    const thief = await createUser(t, { role: 'patient' });
    const { clinicalSessionId } = await paidClinicalSession(t, owner, 'chat');
    const res = await detailed(t, thief, clinicalSessionId);
    expect(res.status).toBe(400);
    const [row] = await s.rows('select status from clinical_sessions where id = $1', [clinicalSessionId]);
    expect(row.status).toBe('awaiting_symptoms');
  });

  test('an emergency gets emergency advice and no payment step', async () => {
    const { t } = s;
    const pat = await createUser(t, { role: 'patient' });
    const c = await collect(t, pat, CHEST_PAIN);
    expect(c.status).toBe(200);
    expect(c.body.preliminaryDiagnosis.urgency).toBe('emergency');
    expect(c.body.recommendedConsultationTypes).toEqual(['emergency']);
    expect(c.body.preliminaryDiagnosis.red_flags.length).toBeGreaterThan(0);
    expect(c.body.nextStep).toBeNull();
    expect(c.body.disclaimer).toBeTruthy();
    const sel = await select(t, pat, c.body.sessionId, 'emergency');
    expect(sel.status).toBe(409);
    expect(sel.body.code).toBe('EMERGENCY_SERVICES_REQUIRED');
    expect(await count('select count(*) from payments where patient_id = $1', [pat.id])).toBe(0);
  });

  test('bad input is a 400 problem that stores nothing; a type not recommended is refused', async () => {
    const { t } = s;
    const pat = await createUser(t, { role: 'patient' });
    for (const body of [
      {},
      { description: 'x'.repeat(4001) },
      { description: 'cough', age: -1 },
      { description: 'cough', gender: 'x' },
    ]) {
      const res = await collect(t, pat, body);
      expect(res.status).toBe(400);
    }
    expect(await count('select count(*) from triage_sessions where patient_id = $1', [pat.id])).toBe(0);
    const noAuth = await t.http.post('/api/consultations/symptoms/collect', {});
    expect(noAuth.status).toBe(401);
    const c = await collect(t, pat);
    const other = (['chat', 'video', 'emergency'] as const).find(
      (x) => !c.body.recommendedConsultationTypes.includes(x),
    );
    if (other) {
      const res = await select(t, pat, c.body.sessionId, other);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('CONSULTATION_TYPE_NOT_RECOMMENDED');
    }
    const foreign = await select(t, s.patient, c.body.sessionId, c.body.recommendedConsultationTypes[0]);
    expect(foreign.status).toBe(404);
  });

  test('two detailed submissions of one clinical session at once: one consultation', async () => {
    const { t } = s;
    const pat = await createUser(t, { role: 'patient' });
    const { clinicalSessionId } = await paidClinicalSession(t, pat, 'chat');
    const results = await Promise.allSettled([
      detailed(t, pat, clinicalSessionId),
      detailed(t, pat, clinicalSessionId),
    ]);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0)).sort();
    expect(statuses).toEqual([201, 409]);
    expect(await count('select count(*) from consultations where patient_id = $1', [pat.id])).toBe(1);
  });

  test('the webhook alone confirms: confirm-payment with our payment id after the sandbox webhook', async () => {
    const { t } = s;
    const pat = await createUser(t, { role: 'patient' });
    const c = await collect(t, pat);
    const sel = await select(t, pat, c.body.sessionId, c.body.recommendedConsultationTypes[0]);
    await paySandbox(t, sel.body.payment.orderId);
    await t.runJobs();
    const [triage] = await s.rows('select status from triage_sessions where id = $1', [c.body.sessionId]);
    expect(triage.status).toBe('payment_confirmed');
    const p1 = await confirm(t, pat, { sessionId: c.body.sessionId, paymentId: sel.body.payment.paymentId });
    expect(p1.status, JSON.stringify(p1.body)).toBe(200);
    expect(
      await count('select count(*) from clinical_sessions where triage_session_id = $1', [c.body.sessionId]),
    ).toBe(1);
  });

  test('choosing again reuses a live payment, replaces a lapsed one, and money for a replaced choice is refunded', async () => {
    const { t } = s;
    const pat = await createUser(t, { role: 'patient' });
    const c = await collect(t, pat);
    const [first, second] = c.body.recommendedConsultationTypes as string[];
    const a = await select(t, pat, c.body.sessionId, first);
    const again = await select(t, pat, c.body.sessionId, first);
    expect(again.body.payment.paymentId).toBe(a.body.payment.paymentId);
    if (second) {
      const b = await select(t, pat, c.body.sessionId, second);
      expect(b.body.payment.paymentId).not.toBe(a.body.payment.paymentId);
      // The patient pays the first checkout anyway: that money is not for this session any more.
      await paySandbox(t, a.body.payment.orderId);
      await t.runJobs();
      const refunds = await s.rows('select amount_minor from refunds where payment_id = $1', [
        a.body.payment.paymentId,
      ]);
      expect(refunds).toHaveLength(1);
      const [triage] = await s.rows('select status from triage_sessions where id = $1', [c.body.sessionId]);
      expect(triage.status).toBe('payment_pending');
    }
    t.clock.advanceMinutes(16);
    await s.renew(pat);
    const fresh = await select(t, pat, c.body.sessionId, first);
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
    expect(fresh.body.payment.paymentId).not.toBe(a.body.payment.paymentId);
    expect(new Date(fresh.body.payment.expiresAt).getTime()).toBeGreaterThan(t.clock.now().getTime());
  });

  test('a failure after payment leaves a retryable clinical session, never an orphan consultation', async () => {
    const { t } = s;
    const pat = await createUser(t, { role: 'patient' });
    const { clinicalSessionId } = await paidClinicalSession(t, pat, 'chat');
    // A real database fault inside the consultation's transaction.
    await t.platform.pool.query(`create function fail_consultation() returns trigger language plpgsql as $$
      begin raise exception 'injected fault'; end $$`);
    await t.platform.pool.query(
      'create trigger fail_consultation before insert on consultations for each row execute function fail_consultation()',
    );
    try {
      const failed = await detailed(t, pat, clinicalSessionId);
      expect(failed.status).toBe(500);
    } finally {
      await t.platform.pool.query('drop trigger fail_consultation on consultations');
      await t.platform.pool.query('drop function fail_consultation()');
    }
    expect(await count('select count(*) from consultations where patient_id = $1', [pat.id])).toBe(0);
    const [row] = await s.rows('select status from clinical_sessions where id = $1', [clinicalSessionId]);
    expect(row.status).toBe('awaiting_symptoms');
    const retry = await detailed(t, pat, clinicalSessionId);
    expect(retry.status).toBe(201);
  });
});

describe('clinical session expiry and assignment without anyone on shift', () => {
  let s: ConsultScene;
  beforeAll(async () => {
    s = await consultScene({ doctors: 1, env: { CLINICAL_SESSION_MINUTES: '30' } });
  });
  afterAll(() => s?.t.close());

  test('nobody on shift: unassigned in the shared queue, admins and doctors told in-app', async () => {
    const { t, patient, admin, doctors } = s;
    const { clinicalSessionId } = await paidClinicalSession(t, patient, 'chat');
    const res = await detailed(t, patient, clinicalSessionId);
    expect(res.status).toBe(201);
    expect(res.body.assignedDoctor).toBeNull();
    expect(res.body.consultationStatus).toBe('awaiting_doctor');
    const queue = await t.http.get('/api/consultations/queue', { token: doctors[0]!.token });
    expect(queue.body.items.map((c: any) => c.id)).toContain(res.body.consultationId);
    const told = await s.rows(
      "select user_id from notifications where template_id = 'consultation_queued' and channel = 'in_app'",
    );
    expect(told.map((r) => r.user_id)).toEqual(expect.arrayContaining([admin.id, doctors[0]!.id]));
    const inApp = await t.http.get('/api/notifications', { token: admin.token });
    expect(JSON.stringify(inApp.body)).toContain('waiting in the shared queue');
  });

  test('an unused paid clinical session expires: 410, and the job refunds the payment in full once', async () => {
    const { t, patient } = s;
    const { clinicalSessionId, phase1 } = await paidClinicalSession(t, patient, 'chat');
    t.clock.advanceMinutes(31);
    await s.renew();
    const late = await detailed(t, patient, clinicalSessionId);
    expect(late.status).toBe(410);
    expect(late.body.code).toBe('CLINICAL_SESSION_EXPIRED');
    await t.runJobs();
    await t.runJobs();
    const [row] = await s.rows('select status, refund_id from clinical_sessions where id = $1', [
      clinicalSessionId,
    ]);
    expect(row.status).toBe('expired');
    const refunds = await s.rows('select amount_minor from refunds where payment_id = $1', [
      phase1.paymentId,
    ]);
    expect(refunds).toEqual([{ amount_minor: 19_900 }]);
    const again = await detailed(t, patient, clinicalSessionId);
    expect(again.status).toBe(410);
    expect(
      Number(
        (
          await s.rows('select count(*) from consultations where clinical_session_id = $1', [
            clinicalSessionId,
          ])
        )[0].count,
      ),
    ).toBe(0);
  });
});
