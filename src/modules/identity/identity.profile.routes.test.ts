import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser, loginWithOtp, nextPhone } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const auditRows = async (resourceId: string) =>
  (
    await t.platform.pool.query(
      `select actor_id, actor_role, action, changed_fields, request_id, ip, user_agent, row_to_json(a)::text as json
         from audit_log a where resource_type = 'patient_profile' and resource_id = $1 order by occurred_at, id`,
      [resourceId],
    )
  ).rows;

const fullProfile = {
  fullName: 'Kavya Patel',
  email: 'kavya@example.com',
  dateOfBirth: '1991-08-14',
  gender: 'female',
  address: { line1: '12 Lakeview Road', city: 'Bengaluru', postalCode: '560001', country: 'India' },
  emergencyContact: { name: 'Arjun Patel', phone: '98450 12345', relationship: 'brother' },
};

describe('patient profile', () => {
  test('a patient reads and updates their profile; both are audited by field name only', async () => {
    const login = await loginWithOtp(t, nextPhone(), { fullName: 'Kavya' });
    const token = login.accessToken;
    const read = await t.http.get('/api/patient-dashboard/profile', {
      token,
      headers: { 'user-agent': 'carebook-web/1' },
    });
    expect(read).toMatchObject({
      status: 200,
      body: { id: login.user.id, fullName: 'Kavya', dateOfBirth: null },
    });

    const put = await t.http.put('/api/patient-dashboard/profile', fullProfile, { token });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      ...fullProfile,
      emergencyContact: { ...fullProfile.emergencyContact, phone: '+919845012345' },
    });
    const again = await t.http.get('/api/patient-dashboard/profile', { token });
    expect(again.body).toEqual(put.body);

    // Leaving fields out keeps them; null clears one.
    const partial = await t.http.put('/api/patient-dashboard/profile', { gender: null }, { token });
    expect(partial.body).toMatchObject({ gender: null, fullName: 'Kavya Patel', dateOfBirth: '1991-08-14' });

    const rows = await auditRows(login.user.id);
    expect(rows.map((r) => r.action)).toEqual([
      'profile.read',
      'profile.update',
      'profile.read',
      'profile.update',
    ]);
    expect(rows[0]).toMatchObject({
      actor_id: login.user.id,
      actor_role: 'patient',
      user_agent: 'carebook-web/1',
    });
    expect(rows[0].request_id).toBeTruthy();
    expect(rows[1].changed_fields).toEqual([
      'address',
      'dateOfBirth',
      'email',
      'emergencyContact',
      'fullName',
      'gender',
    ]);
    expect(rows[3].changed_fields).toEqual(['gender']);
    const trail = rows.map((r) => r.json).join('\n');
    for (const value of ['Lakeview', 'Bengaluru', '1991-08-14', 'Arjun', '9845012345', 'kavya@example.com'])
      expect(trail).not.toContain(value);
  });

  test.each<[string, object | (() => object), string]>([
    // About a year after the test clock's today.
    ['a birth date in the future', () => ({ dateOfBirth: t.clock.day(360) }), 'body.dateOfBirth'],
    ['an impossible date', { dateOfBirth: '1990-02-30' }, 'body.dateOfBirth'],
    ['a bad email', { email: 'not-an-email' }, 'body.email'],
    ['an unknown gender', { gender: 'robot' }, 'body.gender'],
    ['an empty name', { fullName: '  ' }, 'body.fullName'],
    [
      'an invalid emergency phone',
      { emergencyContact: { name: 'A', phone: '12345' } },
      'body.emergencyContact.phone',
    ],
    ['an overlong city', { address: { city: 'x'.repeat(500) } }, 'body.address.city'],
  ])('%s is a 400 that changes nothing', async (_name, input, path) => {
    const body = typeof input === 'function' ? input() : input;
    const patient = await createUser(t, { role: 'patient' });
    const before = (
      await t.platform.pool.query('select * from patient_profiles where user_id = $1', [patient.id])
    ).rows[0];
    const res = await t.http.put(
      '/api/patient-dashboard/profile',
      { fullName: 'Changed', ...body },
      { token: patient.token },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    const after = (
      await t.platform.pool.query('select * from patient_profiles where user_id = $1', [patient.id])
    ).rows[0];
    expect(after).toEqual(before);
    const user = (await t.platform.pool.query('select full_name from users where id = $1', [patient.id]))
      .rows[0];
    expect(user.full_name).toBe(patient.fullName);
    expect(await auditRows(patient.id)).toHaveLength(0);
  });

  test("patient A reading patient B's profile is a 404, like a profile that does not exist", async () => {
    const a = await createUser(t, { role: 'patient' });
    const b = await createUser(t, { role: 'patient' });
    const other = await t.http.get(`/api/patients/${b.id}`, { token: a.token });
    expect(other).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const missing = await t.http.get('/api/patients/00000000-0000-4000-8000-000000000000', {
      token: a.token,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.detail.replace(/[0-9a-f-]{36}/, 'ID')).toBe(
      other.body.detail.replace(/[0-9a-f-]{36}/, 'ID'),
    );
    expect((await t.http.get(`/api/patients/${a.id}`, { token: a.token })).status).toBe(200);
    expect(await auditRows(b.id)).toHaveLength(0);
  });

  test('front-desk staff read any patient (audited); clinicians use their own routes; staff have no patient dashboard', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const staff = await createUser(t, { role: 'staff' });
    const clinician = await createUser(t, { role: 'clinician' });
    const res = await t.http.get(`/api/patients/${patient.id}`, { token: staff.token });
    expect(res).toMatchObject({ status: 200, body: { id: patient.id, phone: patient.phone } });
    expect((await auditRows(patient.id))[0]).toMatchObject({ actor_id: staff.id, action: 'profile.read' });
    expect((await t.http.get(`/api/patients/${patient.id}`, { token: clinician.token })).status).toBe(403);
    expect((await t.http.get('/api/patient-dashboard/profile', { token: staff.token })).status).toBe(403);
    expect((await t.http.get(`/api/patients/${staff.id}`, { token: staff.token })).status).toBe(404);
    expect((await t.http.get('/api/patients/not-a-uuid', { token: staff.token })).status).toBe(400);
  });

  test('admins read the audit trail; nobody else does', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const patient = await createUser(t, { role: 'patient' });
    await t.http.get('/api/patient-dashboard/profile', { token: patient.token });
    const res = await t.http.get(`/api/admin/audit?resourceType=patient_profile&resourceId=${patient.id}`, {
      token: admin.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({
      action: 'profile.read',
      actorId: patient.id,
      changedFields: [],
    });
    expect(res.body.nextCursor).toBeNull();
    expect((await t.http.get('/api/admin/audit', { token: patient.token })).status).toBe(403);
  });
});

describe('demo data', () => {
  test('the demo admin, a clinician and a patient sign in with codes from the console channel', async () => {
    const { DEMO_PHONES } = await import('./index.js');
    const identity = t.modules.find((m) => m.name === 'identity')!;
    await identity.seedDemo!();
    const lines = await identity.describeDemo!();
    expect(lines.join('\n')).toContain(DEMO_PHONES.admin);
    const admin = await loginWithOtp(t, DEMO_PHONES.admin, { staff: true });
    expect(admin.user.role).toBe('admin');
    const clinician = await loginWithOtp(t, DEMO_PHONES.clinicians[3], { staff: true });
    expect(clinician.user.role).toBe('clinician');
    const patient = await loginWithOtp(t, DEMO_PHONES.patients[0]);
    expect(patient).toMatchObject({ isNewUser: false, user: { role: 'patient' } });
    const { rows } = await t.platform.pool.query(
      `select cp.time_zone, count(*)::int as n from clinician_profiles cp join users u on u.id = cp.user_id
        where u.phone = any($1) group by cp.time_zone order by cp.time_zone`,
      [[...DEMO_PHONES.clinicians]],
    );
    expect(rows).toEqual([
      { time_zone: 'Asia/Kolkata', n: 3 },
      { time_zone: 'Europe/London', n: 3 },
    ]);
  });
});
