import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser, loginWithOtp, nextPhone, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

let t: TestApp;
let staff: TestUser;
let admin: TestUser;
beforeAll(async () => {
  t = await startTestApp({ captureLogs: true });
  staff = await createUser(t, { role: 'staff' });
  admin = await createUser(t, { role: 'admin' });
});
afterAll(() => t?.close());

const lookup = (phone: string, token?: string) =>
  t.http.get(`/api/patients?phone=${encodeURIComponent(phone)}`, { token });
const count = async (sql: string, params: unknown[]) =>
  Number((await t.platform.pool.query(`select count(*)::int as n from ${sql}`, params)).rows[0].n);
const auditRows = async (actorId: string) =>
  (
    await t.platform.pool.query(
      `select action, resource_type, resource_id, changed_fields, row_to_json(a)::text as json
         from audit_log a where actor_id = $1 order by occurred_at, id`,
      [actorId],
    )
  ).rows;

describe('front desk: patients by phone', () => {
  test('staff find a patient by phone, written any way; an unknown number is an empty list', async () => {
    const patient = await createUser(t, { role: 'patient', fullName: 'Ravi Kumar' });
    const national = patient.phone.slice(3);
    const found = await lookup(`${national.slice(0, 5)} ${national.slice(5)}`, staff.token);
    expect(found).toMatchObject({
      status: 200,
      body: [{ id: patient.id, fullName: 'Ravi Kumar', phone: patient.phone, email: null }],
    });
    expect(found.body).toHaveLength(1);
    expect(Object.keys(found.body[0]).sort()).toEqual(['email', 'fullName', 'id', 'phone']);

    const none = await lookup(nextPhone(), admin.token);
    expect(none).toMatchObject({ status: 200, body: [] });
    // A team member's phone is not a patient's.
    expect((await lookup(admin.phone, staff.token)).body).toEqual([]);
  });

  test('an invalid number is a 400 PHONE_INVALID', async () => {
    const res = await lookup('12345', staff.token);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('PHONE_INVALID');
    expect((await t.http.get('/api/patients', { token: staff.token })).status).toBe(400);
  });

  test('patients get 403 and anonymous callers 401, for lookup and registration', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const clinician = await createUser(t, { role: 'clinician' });
    const body = { phone: nextPhone(), fullName: 'Nobody' };
    for (const token of [patient.token, clinician.token]) {
      expect((await lookup(patient.phone, token)).status).toBe(403);
      expect((await t.http.post('/api/patients', body, { token })).status).toBe(403);
    }
    expect((await lookup(patient.phone)).status).toBe(401);
    expect((await lookup('not a phone')).status).toBe(401);
    expect((await t.http.post('/api/patients', body)).status).toBe(401);
    expect(await count('users where phone = $1', [body.phone])).toBe(0);
  });

  test('staff register a walk-in, find them, and they can sign in with their phone', async () => {
    const phone = nextPhone();
    const created = await t.http.post(
      '/api/patients',
      { phone: phone.slice(3), fullName: '  Asha Rao ', email: 'asha@example.com' },
      { token: staff.token },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ fullName: 'Asha Rao', phone, email: 'asha@example.com' });
    const id = created.body.id;
    expect(await count(`users where id = $1 and role = 'patient'`, [id])).toBe(1);
    expect(await count('patient_profiles where user_id = $1', [id])).toBe(1);

    expect((await lookup(phone, staff.token)).body).toEqual([created.body]);
    expect((await t.http.get(`/api/patients/${id}`, { token: admin.token })).body).toMatchObject({
      id,
      role: 'patient',
      fullName: 'Asha Rao',
    });

    // The walk-in's own first login is a login, not a new account.
    const login = await loginWithOtp(t, phone);
    expect(login).toMatchObject({ isNewUser: false, user: { id, role: 'patient' } });
  });

  test('a phone that belongs to anyone is a 409 PHONE_IN_USE and nothing is written', async () => {
    const patient = await createUser(t, { role: 'patient', fullName: 'Original Name' });
    const before = await count('users', []);
    const auditBefore = (await auditRows(staff.id)).length;
    for (const phone of [patient.phone, admin.phone]) {
      const res = await t.http.post('/api/patients', { phone, fullName: 'Impostor' }, { token: staff.token });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('PHONE_IN_USE');
    }
    expect(await count('users', [])).toBe(before);
    const name = await t.platform.pool.query('select full_name from users where id = $1', [patient.id]);
    expect(name.rows[0].full_name).toBe('Original Name');
    expect(await auditRows(staff.id)).toHaveLength(auditBefore);
  });

  test('lookups and registrations are audited without the phone; logs never hold it', async () => {
    const clerk = await createUser(t, { role: 'staff' });
    const phone = nextPhone();
    const missing = nextPhone();
    expect((await lookup(missing, clerk.token)).body).toEqual([]);
    const created = await t.http.post(
      '/api/patients',
      { phone, fullName: 'Audit Walkin', email: 'audit.walkin@example.com' },
      { token: clerk.token },
    );
    expect(created.status).toBe(201);
    expect((await lookup(phone, clerk.token)).body).toHaveLength(1);

    const rows = await auditRows(clerk.id);
    expect(rows.map((r) => [r.action, r.resource_type, r.resource_id])).toEqual([
      ['patient.lookup', 'patient_profile', null],
      ['user.create', 'user', created.body.id],
      ['patient.lookup', 'patient_profile', created.body.id],
    ]);
    expect(rows[1].changed_fields).toEqual(['email', 'fullName', 'patientProfile', 'phone', 'role']);
    const trail = rows.map((r) => r.json).join('\n');
    const logs = t.logs.join('');
    expect(logs).toContain('/api/patients');
    for (const secret of [phone, phone.slice(3), missing, missing.slice(3), 'audit.walkin@example.com']) {
      expect(trail).not.toContain(secret);
      expect(logs.includes(secret), `a log line contains ${secret.slice(0, 4)}…`).toBe(false);
    }
  });
});
