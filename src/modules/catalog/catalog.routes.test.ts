import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCentre, createListedClinicianByAdmin, setListing } from '../../../test/factories/catalog.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import type { CatalogModule } from './index.js';

describe('catalog over HTTP', () => {
  let t: TestApp;
  let admin: TestUser;
  let patient: TestUser;
  let blr: { id: string };
  let ldn: { id: string };
  let rao: TestUser;
  let clarke: TestUser;
  let hidden: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createUser(t, { role: 'admin' });
    patient = await createUser(t, { role: 'patient' });
    blr = await createCentre(t, admin, { name: 'Indiranagar', city: 'Bengaluru', timeZone: 'Asia/Kolkata' });
    ldn = await createCentre(t, admin, { name: 'Marylebone', city: 'London', timeZone: 'Europe/London' });
    rao = await createUser(t, {
      role: 'clinician',
      fullName: 'Dr. Ananya Rao',
      specialization: 'General Physician',
    });
    clarke = await createUser(t, {
      role: 'clinician',
      fullName: 'Dr. Emily Clarke',
      specialization: 'Paediatrician',
      timeZone: 'Europe/London',
    });
    hidden = await createUser(t, {
      role: 'clinician',
      fullName: 'Dr. Hidden',
      specialization: 'Paediatrician',
    });
    await setListing(t, admin, rao.id, {
      modes: ['online', 'in_person'],
      centreIds: [blr.id],
      fee: { amount: 50_000, currency: 'INR' },
    });
    await setListing(t, admin, clarke.id, {
      modes: ['online'],
      centreIds: [ldn.id],
      fee: { amount: 90_000, currency: 'INR' },
    });
    await setListing(t, admin, hidden.id, { isListed: false });
  });
  afterAll(() => t?.close());

  test('GET /api/centres lists centres with their zones', async () => {
    const res = await t.http.get('/api/centres');
    expect(res.status).toBe(200);
    expect(res.body.map((c: { name: string }) => c.name)).toEqual(['Indiranagar', 'Marylebone']);
    expect(res.body[1]).toMatchObject({ city: 'London', timeZone: 'Europe/London', address: '1 Test Road' });
  });

  test('creating a centre needs an admin and a real time zone', async () => {
    const body = { name: 'X', city: 'Y', address: 'Z', timeZone: 'Asia/Kolkata' };
    expect((await t.http.post('/api/admin/centres', body, { token: patient.token })).status).toBe(403);
    expect((await t.http.post('/api/admin/centres', body)).status).toBe(401);
    const bad = await t.http.post(
      '/api/admin/centres',
      { ...body, timeZone: 'Mars/Olympus' },
      { token: admin.token },
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await t.http.get('/api/centres')).body).toHaveLength(2);
  });

  test('GET /api/clinicians lists listed clinicians with centres, modes, fee and zone', async () => {
    const res = await t.http.get('/api/clinicians');
    expect(res.status).toBe(200);
    expect(res.body.map((c: { fullName: string }) => c.fullName).sort()).toEqual([
      'Dr. Ananya Rao',
      'Dr. Emily Clarke',
    ]);
    const r = res.body.find((c: { id: string }) => c.id === rao.id);
    expect(r).toEqual({
      id: rao.id,
      fullName: 'Dr. Ananya Rao',
      specialization: 'General Physician',
      centres: [
        {
          id: blr.id,
          name: 'Indiranagar',
          city: 'Bengaluru',
          address: '1 Test Road',
          timeZone: 'Asia/Kolkata',
        },
      ],
      modes: ['online', 'in_person'],
      fee: { amount: 50_000, currency: 'INR' },
      timeZone: 'Asia/Kolkata',
      bio: null,
      languages: [],
      nextAvailableSlot: null, // no weekly availability yet
      bookingHorizonDays: 180,
    });
  });

  test("a clinician's bio and languages come from the profile the admin wrote", async () => {
    const { id } = await createListedClinicianByAdmin(t, admin, {
      phone: '+919800011122',
      fullName: 'Dr. Kiran Bio',
      specialization: 'Dermatologist',
      languages: ['English', 'Kannada'],
      bio: 'Skin and hair clinics.',
    });
    const res = await t.http.get(`/api/clinicians/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ bio: 'Skin and hair clinics.', languages: ['English', 'Kannada'] });
    const listed = (await t.http.get('/api/clinicians?q=kiran')).body;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ bio: 'Skin and hair clinics.', languages: ['English', 'Kannada'] });
    // Hidden again so the other tests see their two clinicians.
    await setListing(t, admin, id, { isListed: false });
  });

  test.each<[string, string, string[]]>([
    ['specialization', 'specialization=Paediatrician', ['Dr. Emily Clarke']],
    ['specialization, any case', 'specialization=general%20physician', ['Dr. Ananya Rao']],
    ['centre', 'centreId=CENTRE', ['Dr. Ananya Rao']],
    ['mode in person', 'mode=in_person', ['Dr. Ananya Rao']],
    ['name search', 'q=clarke', ['Dr. Emily Clarke']],
    ['nothing matches', 'q=nobody', []],
  ])('filter by %s', async (_name, query, expected) => {
    const res = await t.http.get(`/api/clinicians?${query.replace('CENTRE', blr.id)}`);
    expect(res.status).toBe(200);
    expect(res.body.map((c: { fullName: string }) => c.fullName)).toEqual(expected);
  });

  test('bad filters are a 400', async () => {
    expect((await t.http.get('/api/clinicians?mode=teleport')).status).toBe(400);
    expect((await t.http.get('/api/clinicians?centreId=nope')).status).toBe(400);
  });

  test('GET /api/clinicians/:id: listed -> 200, unlisted or unknown -> 404, not a uuid -> 400', async () => {
    expect((await t.http.get(`/api/clinicians/${clarke.id}`)).body).toMatchObject({
      fee: { amount: 90_000 },
    });
    expect((await t.http.get(`/api/clinicians/${hidden.id}`)).status).toBe(404);
    expect((await t.http.get(`/api/clinicians/${patient.id}`)).status).toBe(404);
    expect((await t.http.get('/api/clinicians/123')).status).toBe(400);
  });

  test('a listing with a bad centre, currency or missing centre changes nothing', async () => {
    const put = (body: object) =>
      t.http.put(`/api/admin/clinicians/${rao.id}/listing`, body, { token: admin.token });
    const base = { modes: ['online'], fee: { amount: 1, currency: 'INR' }, centreIds: [], isListed: true };
    expect((await put({ ...base, centreIds: ['00000000-0000-4000-8000-000000000000'] })).status).toBe(400);
    expect((await put({ ...base, fee: { amount: 1, currency: 'USD' } })).status).toBe(400);
    expect((await put({ ...base, modes: ['in_person'] })).status).toBe(400);
    expect((await put({ ...base, fee: { amount: 1.5, currency: 'INR' } })).status).toBe(400);
    expect(
      (await t.http.put(`/api/admin/clinicians/${rao.id}/listing`, base, { token: patient.token })).status,
    ).toBe(403);
    expect(
      (await t.http.put(`/api/admin/clinicians/${patient.id}/listing`, base, { token: admin.token })).status,
    ).toBe(404);
    const now = (await t.http.get(`/api/clinicians/${rao.id}`)).body;
    expect(now).toMatchObject({ fee: { amount: 50_000 }, modes: ['online', 'in_person'] });
  });

  test('GET /api/plans has the five plans and their booking rules', async () => {
    const res = await t.http.get('/api/plans');
    expect(
      Object.fromEntries(res.body.map((p: { code: string; bookingRule: string }) => [p.code, p.bookingRule])),
    ).toEqual({
      free_trial: 'pay',
      none: 'pay_or_refuse',
      standard: 'pay',
      standard_plus: 'pay',
      vise: 'free_with_relationship',
    });
  });

  test("admin sets a patient's plan; only patients have plans", async () => {
    const periodEnd = t.clock.at(359, '00:00'); // about a year ahead of the test clock
    const res = await t.http.put(
      `/api/admin/patients/${patient.id}/plan`,
      { planCode: 'vise', periodEnd: periodEnd.toISOString().replace('.000Z', 'Z') },
      { token: admin.token },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      patientId: patient.id,
      planCode: 'vise',
      status: 'active',
      periodEnd: periodEnd.toISOString(),
      effectivePlan: 'vise',
    });
    expect(
      (await t.http.put(`/api/admin/patients/${rao.id}/plan`, { planCode: 'vise' }, { token: admin.token }))
        .status,
    ).toBe(404);
    expect(
      (
        await t.http.put(
          `/api/admin/patients/${patient.id}/plan`,
          { planCode: 'gold' },
          { token: admin.token },
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await t.http.put(
          `/api/admin/patients/${patient.id}/plan`,
          { planCode: 'none' },
          { token: patient.token },
        )
      ).status,
    ).toBe(403);
  });

  test('relationships: created once, then returned; unknown people are 404', async () => {
    const body = { clinicianId: rao.id, patientId: patient.id };
    const first = await t.http.post('/api/admin/relationships', body, { token: admin.token });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ ...body, source: 'admin', created: true });
    const again = await t.http.post('/api/admin/relationships', body, { token: admin.token });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, created: false });
    const swapped = { clinicianId: patient.id, patientId: rao.id };
    expect((await t.http.post('/api/admin/relationships', swapped, { token: admin.token })).status).toBe(404);
    expect((await t.http.post('/api/admin/relationships', body, { token: patient.token })).status).toBe(403);
    const { rows } = await t.platform.pool.query(
      'select count(*)::int as n from doctor_patient_relationships',
    );
    expect(rows[0].n).toBe(1);
  });

  test('the catalog service answers getClinician and getCentre as the contract says', async () => {
    const catalog = t.modules.find((m) => m.name === 'catalog') as CatalogModule;
    expect(await catalog.service.getClinician(hidden.id)).toBeNull();
    expect(await catalog.service.getClinician(clarke.id)).toMatchObject({
      id: clarke.id,
      timeZone: 'Europe/London',
      fee: { amount: 90_000, currency: 'INR' },
      modes: ['online'],
      centres: [{ id: ldn.id }],
    });
    expect(await catalog.service.getCentre(ldn.id)).toMatchObject({
      name: 'Marylebone',
      timeZone: 'Europe/London',
    });
    expect(await catalog.service.getCentre('00000000-0000-4000-8000-000000000000')).toBeNull();
  });
});
