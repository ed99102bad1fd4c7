import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { paySandbox } from '../../../test/factories/booking.js';
import { type ConsultScene, consultScene, createService } from '../../../test/factories/consultations.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { IST } from '../../../test/support/clock.js';

const PRICE = { amount: 30_000, currency: 'INR' };

describe('service catalog admin', () => {
  let s: ConsultScene;
  beforeAll(async () => {
    s = await consultScene({ doctors: 1 });
  });
  afterAll(() => s?.t.close());

  test('admins create, list, page and change services; the public list shows only active ones', async () => {
    const { t, admin, doctors } = s;
    const created = await createService(t, admin, {
      code: 'GOPD_X',
      name: 'GOPD',
      workflowType: 'GOPD_CONSULT',
      billTiming: 'AFTER',
      autoAssignDoctorId: doctors[0]!.id,
      price: PRICE,
    });
    expect(created).toEqual({
      code: 'GOPD_X',
      name: 'GOPD',
      workflowType: 'GOPD_CONSULT',
      billTiming: 'AFTER',
      autoAssignDoctorId: doctors[0]!.id,
      isActive: true,
      price: PRICE,
    });
    const dup = await t.http.post('/api/admin/services', created, { token: admin.token });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('SERVICE_CODE_TAKEN');

    const patched = await t.http.patch(
      '/api/admin/services/GOPD_X',
      { isActive: false, name: 'Old GOPD' },
      { token: admin.token },
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ isActive: false, name: 'Old GOPD', billTiming: 'AFTER' });
    const pub = await t.http.get('/api/services');
    expect(pub.status).toBe(200);
    expect(pub.body.map((x: any) => x.code)).not.toContain('GOPD_X');
    expect(pub.body.map((x: any) => x.code)).toEqual(expect.arrayContaining(['CHAT', 'VIDEO', 'EMERGENCY']));

    const page1 = await t.http.get('/api/admin/services?limit=2', { token: admin.token });
    expect(page1.body.items).toHaveLength(2);
    const page2 = await t.http.get(`/api/admin/services?limit=2&cursor=${page1.body.nextCursor}`, {
      token: admin.token,
    });
    const codes = [...page1.body.items, ...page2.body.items].map((x: any) => x.code);
    expect(codes).toEqual(['CHAT', 'EMERGENCY', 'GOPD_X', 'VIDEO']);
    expect(page2.body.nextCursor).toBeNull();
  });

  test('bad services are 400 and store nothing; only admins manage; unknown code is 404', async () => {
    const { t, admin, patient } = s;
    const base = {
      code: 'BAD_1',
      name: 'Bad',
      workflowType: 'GOPD_CONSULT',
      billTiming: 'BEFORE',
      price: PRICE,
    };
    for (const body of [
      { ...base, price: { amount: 100, currency: 'USD' } },
      { ...base, price: { amount: 0, currency: 'INR' } },
      { ...base, code: 'lower case' },
      { ...base, autoAssignDoctorId: patient.id },
      { ...base, workflowType: 'ONLINE_CHAT', billTiming: 'AFTER' },
      { ...base, billTiming: 'LATER' },
    ]) {
      const res = await t.http.post('/api/admin/services', body, { token: admin.token });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await s.rows("select count(*) from service_catalog where code = 'BAD_1'"))[0].count).toBe(0);
    expect((await t.http.post('/api/admin/services', base, { token: patient.token })).status).toBe(403);
    expect(
      (await t.http.patch('/api/admin/services/NOPE', { isActive: false }, { token: admin.token })).status,
    ).toBe(404);
  });
});

describe('GOPD visits over HTTP (seed 002)', () => {
  let s: ConsultScene;
  let staff: TestUser;
  let autoDoc: TestUser;
  let otherDoc: TestUser;
  const openVisit = (patientId: string, serviceCode: string, extra: Record<string, unknown> = {}) =>
    s.t.http.post('/api/visits', { patientId, serviceCode, ...extra }, { token: staff.token });
  const pay = (visitId: string, method: string, amount = PRICE) =>
    s.t.http.post(`/api/visits/${visitId}/payments`, { amount, method }, { token: staff.token });

  beforeAll(async () => {
    s = await consultScene({ doctors: 2 });
    [autoDoc, otherDoc] = s.doctors as [TestUser, TestUser];
    staff = await createUser(s.t, { role: 'staff' });
    await createService(s.t, s.admin, {
      code: 'GOPD_BEFORE',
      name: 'Pay first',
      workflowType: 'GOPD_CONSULT',
      price: PRICE,
    });
    await createService(s.t, s.admin, {
      code: 'GOPD_AFTER',
      name: 'Pay after',
      workflowType: 'GOPD_CONSULT',
      billTiming: 'AFTER',
      autoAssignDoctorId: autoDoc.id,
      price: PRICE,
    });
  });
  afterAll(() => s?.t.close());

  test('BEFORE: no consultation until paid; the open visit is reused; desk cash creates it; manual assignment by claim', async () => {
    const pat = await createUser(s.t, { role: 'patient' });
    const first = await openVisit(pat.id, 'GOPD_BEFORE', { chiefComplaint: 'Headache', paymentType: 'CASH' });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({
      created: true,
      consultation: null,
      visit: {
        status: 'OPEN',
        paymentStatus: 'UNPAID',
        billTiming: 'BEFORE',
        price: PRICE,
        serviceCode: 'GOPD_BEFORE',
      },
    });
    // The complaint is clinical text: its write is audited and the desk's replies do not echo it.
    expect(first.body.visit.chiefComplaint).toBeUndefined();
    const audited = await s.rows(
      "select changed_fields from audit_log where action = 'visit.create' and resource_id = $1",
      [first.body.visit.id],
    );
    expect(audited).toEqual([{ changed_fields: ['chiefComplaint'] }]);
    const again = await openVisit(pat.id, 'GOPD_BEFORE');
    expect(again.body.created).toBe(false);
    expect(again.body.visit.id).toBe(first.body.visit.id);
    const id = first.body.visit.id;
    expect((await s.rows('select count(*) from consultations where visit_id = $1', [id]))[0].count).toBe(0);

    // Guards: a wrong amount and closing unpaid change nothing.
    const wrong = await pay(id, 'CASH', { amount: 100, currency: 'INR' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('PAYMENT_AMOUNT_MISMATCH');
    const closeUnpaid = await s.t.http.post(`/api/visits/${id}/close`, undefined, { token: staff.token });
    expect(closeUnpaid.status).toBe(409);
    expect(closeUnpaid.body.code).toBe('VISIT_UNPAID');

    const paid = await pay(id, 'CASH');
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body.visit.paymentStatus).toBe('PAID');
    expect(paid.body.payment).toMatchObject({
      method: 'CASH',
      status: 'PAID',
      amount: PRICE,
      checkout: null,
    });
    expect(paid.body.consultation).toMatchObject({
      status: 'PENDING',
      pendingReason: 'awaiting_doctor',
      doctorId: null,
      paymentCleared: true,
      source: 'gopd',
    });
    // The desk's retry with the same Idempotency-Key gets the first reply, not a 409.
    const key = { headers: { 'idempotency-key': `visit-pay-${id}` } };
    const body = { amount: PRICE, method: 'CARD' };
    const other = await createUser(s.t, { role: 'patient' });
    const v2 = await openVisit(other.id, 'GOPD_BEFORE');
    const k1 = await s.t.http.post(`/api/visits/${v2.body.visit.id}/payments`, body, {
      token: staff.token,
      ...key,
    });
    const k2 = await s.t.http.post(`/api/visits/${v2.body.visit.id}/payments`, body, {
      token: staff.token,
      ...key,
    });
    expect(k1.status).toBe(200);
    expect(k2.status).toBe(200);
    expect(k2.headers.get('idempotent-replayed')).toBe('true');
    expect(k2.body.consultation.id).toBe(k1.body.consultation.id);
    const twice = await pay(id, 'UPI');
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('VISIT_ALREADY_PAID');

    const cid = paid.body.consultation.id;
    const claimed = await s.t.http.post(`/api/consultations/${cid}/claim`, undefined, {
      token: otherDoc.token,
    });
    expect(claimed.status).toBe(200);
    const active = await s.t.http.post(`/api/consultations/${cid}/activate`, undefined, {
      token: otherDoc.token,
    });
    expect(active.body.status).toBe('ACTIVE');

    const closed = await s.t.http.post(`/api/visits/${id}/close`, undefined, { token: staff.token });
    expect(closed.status).toBe(200);
    expect(closed.body.visit.status).toBe('CLOSED');
    const next = await openVisit(pat.id, 'GOPD_BEFORE');
    expect(next.body.created).toBe(true);
    expect(next.body.visit.id).not.toBe(id);
  });

  test('AFTER: an ACTIVE consultation at once, auto-assigned and announced; the visit cannot close while unpaid', async () => {
    const pat = await createUser(s.t, { role: 'patient' });
    const res = await openVisit(pat.id, 'GOPD_AFTER', { chiefComplaint: 'Cough' });
    expect(res.status).toBe(201);
    expect(res.body.consultation).toMatchObject({
      status: 'ACTIVE',
      doctorId: autoDoc.id,
      paymentCleared: false,
      billTiming: 'AFTER',
    });
    const told = await s.rows(
      "select count(*) from notifications where user_id = $1 and template_id = 'consultation_assigned'",
      [autoDoc.id],
    );
    expect(Number(told[0].count)).toBeGreaterThan(0);
    const id = res.body.visit.id;
    expect((await s.t.http.post(`/api/visits/${id}/close`, undefined, { token: staff.token })).status).toBe(
      409,
    );
    await expect(
      s.t.platform.pool.query("update visits set status = 'CLOSED', closed_at = now() where id = $1", [id]),
    ).rejects.toThrow(/visits_closed_paid/);
    // The auto-assigned doctor can write notes at once; another doctor cannot see it.
    const cid = res.body.consultation.id;
    const notes = await s.t.http.put(
      `/api/consultations/${cid}/notes`,
      { notes: 'Chest clear' },
      { token: autoDoc.token },
    );
    expect(notes.status).toBe(200);
    expect((await s.t.http.get(`/api/consultations/${cid}`, { token: otherDoc.token })).status).toBe(404);

    const paid = await pay(id, 'UPI');
    expect(paid.body.consultation).toMatchObject({ status: 'ACTIVE', paymentCleared: true });
    expect(
      (await s.t.http.post(`/api/visits/${id}/close`, undefined, { token: staff.token })).body.visit.status,
    ).toBe('CLOSED');
  });

  test('GATEWAY: a checkout opens, the visit is paid and the consultation created when the gateway confirms', async () => {
    const pat = await createUser(s.t, { role: 'patient' });
    const v = await openVisit(pat.id, 'GOPD_BEFORE');
    const res = await pay(v.body.visit.id, 'GATEWAY');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.payment).toMatchObject({ method: 'GATEWAY', status: 'PENDING' });
    expect(res.body.payment.checkout).toMatchObject({ provider: 'sandbox', amount: 30_000 });
    expect(res.body.visit.paymentStatus).toBe('UNPAID');
    expect(res.body.consultation).toBeNull();
    await paySandbox(s.t, res.body.payment.checkout.orderId);
    await s.t.runJobs();
    const [visit] = await s.rows('select payment_status from visits where id = $1', [v.body.visit.id]);
    expect(visit.payment_status).toBe('PAID');
    const [c] = await s.rows(
      'select status, payment_id, payment_cleared from consultations where visit_id = $1',
      [v.body.visit.id],
    );
    expect(c).toEqual({
      status: 'PENDING',
      payment_id: res.body.payment.checkout.paymentId,
      payment_cleared: true,
    });
  });

  test('refusals: inactive or non-GOPD service, unknown patient, patients at the desk; the day list pages', async () => {
    const pat = await createUser(s.t, { role: 'patient' });
    expect((await openVisit(pat.id, 'CHAT')).body.code).toBe('SERVICE_NOT_GOPD');
    expect((await openVisit(pat.id, 'NOPE')).status).toBe(404);
    expect((await openVisit(staff.id, 'GOPD_BEFORE')).status).toBe(404);
    const asPatient = await s.t.http.post(
      '/api/visits',
      { patientId: pat.id, serviceCode: 'GOPD_BEFORE' },
      { token: pat.token },
    );
    expect(asPatient.status).toBe(403);
    expect((await s.rows('select count(*) from visits where patient_id = $1', [pat.id]))[0].count).toBe(0);

    const today = s.t.clock.day(0, IST);
    const all = await s.t.http.get(`/api/visits?date=${today}&limit=100`, { token: staff.token });
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(4);
    const first = await s.t.http.get(`/api/visits?date=${today}&limit=2`, { token: staff.token });
    const second = await s.t.http.get(
      `/api/visits?date=${today}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      {
        token: staff.token,
      },
    );
    expect(second.body.items[0].visit.id).toBe(all.body.items[2].visit.id);
    // A year before the test clock's today: no visits.
    const other = await s.t.http.get(`/api/visits?date=${s.t.clock.day(-365, IST)}`, { token: staff.token });
    expect(other.body.items).toEqual([]);
  });

  test('two desks opening a visit for one patient at once share one OPEN visit', async () => {
    const pat = await createUser(s.t, { role: 'patient' });
    const results = await Promise.allSettled([
      openVisit(pat.id, 'GOPD_AFTER'),
      openVisit(pat.id, 'GOPD_AFTER'),
    ]);
    const bodies = results.map((r) => (r.status === 'fulfilled' ? r.value.body : null));
    expect(bodies.map((b) => b?.created).sort()).toEqual([false, true]);
    expect(bodies[0]?.visit.id).toBe(bodies[1]?.visit.id);
    expect(
      (
        await s.rows(
          'select count(*) from consultations c join visits v on v.id = c.visit_id where v.patient_id = $1',
          [pat.id],
        )
      )[0].count,
    ).toBe(1);
  });
});
