import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type ConsultScene,
  consultScene,
  onDemandConsultation,
  setShifts,
} from '../../../test/factories/consultations.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';

describe('consultation lifecycle, claims and access over HTTP', () => {
  let s: ConsultScene;
  let docA: TestUser;
  let docB: TestUser;
  const post = (path: string, user: TestUser, body?: unknown) =>
    s.t.http.post(path, body, { token: user.token });
  const count = async (sql: string, values: unknown[] = []) => Number((await s.rows(sql, values))[0].count);

  beforeAll(async () => {
    // Nobody on shift: consultations land unassigned in the shared queue.
    s = await consultScene({ doctors: 2 });
    [docA, docB] = s.doctors as [TestUser, TestUser];
  });
  afterAll(() => s?.t.close());

  test('two doctors claim one unassigned consultation at once: one wins, the other gets 409 and wrote nothing', async () => {
    const { consultationId } = await onDemandConsultation(s.t, s.patient);
    for (const d of [docA, docB]) {
      const q = await s.t.http.get('/api/consultations/queue', { token: d.token });
      expect(q.body.items.map((c: any) => c.id)).toContain(consultationId);
    }
    const results = await Promise.allSettled([
      post(`/api/consultations/${consultationId}/claim`, docA),
      post(`/api/consultations/${consultationId}/claim`, docB),
    ]);
    const replies = results.map((r) => (r.status === 'fulfilled' ? r.value : null)!);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = replies.find((r) => r.status === 200)!;
    const loser = replies.find((r) => r.status === 409)!;
    expect(loser.body.code).toBe('ALREADY_ASSIGNED');
    expect(winner.body).toMatchObject({ status: 'PENDING', pendingReason: 'doctor_review' });
    const [row] = await s.rows('select doctor_id from consultations where id = $1', [consultationId]);
    expect(row.doctor_id).toBe(winner.body.doctorId);
    expect(
      await count("select count(*) from audit_log where action = 'consultation.claim' and resource_id = $1", [
        consultationId,
      ]),
    ).toBe(1);
  });

  test('only the assigned doctor reads and acts; another doctor gets 404; notes only while ACTIVE; CLOSED is read-only', async () => {
    const { consultationId: id } = await onDemandConsultation(s.t, s.patient);
    expect((await post(`/api/consultations/${id}/claim`, docA)).status).toBe(200);

    // Another doctor: as if it did not exist.
    expect((await s.t.http.get(`/api/consultations/${id}`, { token: docB.token })).status).toBe(404);
    expect((await post(`/api/consultations/${id}/activate`, docB)).status).toBe(404);
    expect((await post(`/api/consultations/${id}/claim`, docB)).status).toBe(404);
    const listB = await s.t.http.get('/api/consultations', { token: docB.token });
    expect(listB.body.items.map((c: any) => c.id)).not.toContain(id);

    // Notes before activation are refused.
    const early = await s.t.http.put(`/api/consultations/${id}/notes`, { notes: 'x' }, { token: docA.token });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('CONSULTATION_NOT_ACTIVE');

    const active = await post(`/api/consultations/${id}/activate`, docA);
    expect(active.status, JSON.stringify(active.body)).toBe(200);
    expect(active.body).toMatchObject({ status: 'ACTIVE', pendingReason: null });

    const notes = await s.t.http.put(
      `/api/consultations/${id}/notes`,
      { notes: 'Throat red, no exudate.', diagnosis: 'Viral pharyngitis', plan: 'Fluids, paracetamol' },
      { token: docA.token },
    );
    expect(notes.status).toBe(200);
    expect(notes.body).toMatchObject({ notes: 'Throat red, no exudate.', diagnosis: 'Viral pharyngitis' });
    const byB = await s.t.http.put(
      `/api/consultations/${id}/notes`,
      { notes: 'mine' },
      { token: docB.token },
    );
    expect(byB.status).toBe(404);

    expect((await post(`/api/consultations/${id}/close`, docA)).body.status).toBe('CLOSED');
    const afterClose = await s.t.http.put(
      `/api/consultations/${id}/notes`,
      { notes: 'late' },
      { token: docA.token },
    );
    expect(afterClose.status).toBe(409);
    expect((await post(`/api/consultations/${id}/activate`, docA)).status).toBe(409);
    const [row] = await s.rows('select notes, status from consultations where id = $1', [id]);
    expect(row).toEqual({ notes: 'Throat red, no exudate.', status: 'CLOSED' });
    // The database itself refuses to touch a closed consultation.
    await expect(
      s.t.platform.pool.query("update consultations set notes = 'sneaky' where id = $1", [id]),
    ).rejects.toThrow(/read-only/);
    expect(
      await count(
        "select count(*) from audit_log where action = 'consultation.notes.update' and resource_id = $1",
        [id],
      ),
    ).toBe(1);
  });

  test('patients read their own (audited), never another patient’s; staff cannot read clinical data', async () => {
    const { consultationId: id } = await onDemandConsultation(s.t, s.patient);
    const before = await count(
      "select count(*) from audit_log where action = 'consultation.read' and resource_id = $1",
      [id],
    );
    const own = await s.t.http.get(`/api/consultations/${id}`, { token: s.patient.token });
    expect(own.status).toBe(200);
    expect(own.body.symptoms).toBeTruthy();
    expect(own.body.aiDiagnosis).toBeTruthy();
    const other = await createUser(s.t, { role: 'patient' });
    expect((await s.t.http.get(`/api/consultations/${id}`, { token: other.token })).status).toBe(404);
    const staff = await createUser(s.t, { role: 'staff' });
    expect((await s.t.http.get(`/api/consultations/${id}`, { token: staff.token })).status).toBe(403);
    const mine = await s.t.http.get('/api/consultations', { token: s.patient.token });
    expect(mine.body.items.map((c: any) => c.id)).toContain(id);
    expect((await s.t.http.get('/api/consultations', { token: other.token })).body).toEqual({
      items: [],
      nextCursor: null,
    });
    const after = await count(
      "select count(*) from audit_log where action = 'consultation.read' and resource_id = $1",
      [id],
    );
    expect(after).toBe(before + 1);
    const [entry] = await s.rows(
      "select actor_id, actor_role, changed_fields from audit_log where action = 'consultation.read' and resource_id = $1",
      [id],
    );
    expect(entry).toMatchObject({ actor_id: s.patient.id, actor_role: 'patient' });
    expect(entry.changed_fields).toEqual(expect.arrayContaining(['symptoms', 'notes']));
  });

  test('activation needs the payment cleared: refunded by an admin -> 409 PAYMENT_NOT_CLEARED', async () => {
    const { consultationId: id } = await onDemandConsultation(s.t, s.patient);
    const [row] = await s.rows('select payment_id from consultations where id = $1', [id]);
    const refund = await post(`/api/admin/payments/${row.payment_id}/refunds`, s.admin, {
      reason: 'Patient asked',
      idempotencyKey: `test-refund-${id}`,
    });
    expect(refund.status, JSON.stringify(refund.body)).toBe(201);
    expect((await post(`/api/consultations/${id}/claim`, docB)).status).toBe(200);
    const res = await post(`/api/consultations/${id}/activate`, docB);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('PAYMENT_NOT_CLEARED');
    const [after] = await s.rows('select status from consultations where id = $1', [id]);
    expect(after.status).toBe('PENDING');
  });

  test('with doctors on shift, consultations go to the least loaded one', async () => {
    await setShifts(s.t, s.admin, docA.id);
    await setShifts(s.t, s.admin, docB.id);
    const load = async (d: string) =>
      count("select count(*) from consultations where doctor_id = $1 and status in ('PENDING', 'ACTIVE')", [
        d,
      ]);
    for (let i = 0; i < 3; i++) {
      const before = { a: await load(docA.id), b: await load(docB.id) };
      const c = await onDemandConsultation(s.t, s.patient);
      const expected =
        before.a < before.b ? docA.id : before.b < before.a ? docB.id : [docA.id, docB.id].sort()[0];
      expect(c.assignedDoctor?.doctorId).toBe(expected);
    }
    // Both began within two of each other: three assignments leave them at most one apart.
    expect(Math.abs((await load(docA.id)) - (await load(docB.id)))).toBeLessThanOrEqual(1);
  });
});
