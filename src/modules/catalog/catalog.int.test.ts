import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setListing } from '../../../test/factories/catalog.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import type { CatalogModule, CatalogService } from './index.js';

async function setPlan(t: TestApp, admin: TestUser, patientId: string, body: object) {
  const res = await t.http.put(`/api/admin/patients/${patientId}/plan`, body, { token: admin.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe.each([
  ['plans optional (default)', 'false'],
  ['plans required', 'true'],
])('planPolicyFor with %s', (_name, requirePlan) => {
  let t: TestApp;
  let admin: TestUser;
  let doc: TestUser;
  let catalog: CatalogService;

  beforeAll(async () => {
    t = await startTestApp({ env: { REQUIRE_PLAN_FOR_BOOKING: requirePlan } });
    admin = await createUser(t, { role: 'admin' });
    doc = await createUser(t, { role: 'clinician' });
    await setListing(t, admin, doc.id);
    catalog = (t.modules.find((m) => m.name === 'catalog') as CatalogModule).service;
  });
  afterAll(() => t?.close());

  const none = requirePlan === 'true' ? 'refuse' : 'pay';

  // Period ends relative to the test clock (06:00 UTC): an hour ago, and a month ahead.
  const hourAgo = () => new Date(t.clock.now().getTime() - 3_600_000).toISOString();
  const nextMonth = () => t.clock.at(31, '00:00').toISOString();
  test.each<[string, (() => object) | null, boolean, string, string]>([
    ['no subscription', null, false, 'none', none],
    ['vise with a relationship', () => ({ planCode: 'vise' }), true, 'vise', 'free'],
    ['vise without a relationship', () => ({ planCode: 'vise' }), false, 'vise', 'pay'],
    ['standard with a relationship', () => ({ planCode: 'standard' }), true, 'standard', 'pay'],
    ['free trial', () => ({ planCode: 'free_trial' }), false, 'free_trial', 'pay'],
    ['standard plus', () => ({ planCode: 'standard_plus' }), false, 'standard_plus', 'pay'],
    ['vise whose period ended', () => ({ planCode: 'vise', periodEnd: hourAgo() }), true, 'none', none],
    ['vise cancelled', () => ({ planCode: 'vise', status: 'cancelled' }), true, 'none', none],
    [
      'vise running until next month',
      () => ({ planCode: 'vise', periodEnd: nextMonth() }),
      true,
      'vise',
      'free',
    ],
  ])('%s', async (_n, plan, related, planCode, policy) => {
    const patient = await createUser(t, { role: 'patient' });
    if (plan) await setPlan(t, admin, patient.id, plan());
    if (related) {
      const res = await t.http.post(
        '/api/admin/relationships',
        { clinicianId: doc.id, patientId: patient.id },
        { token: admin.token },
      );
      expect(res.status).toBe(201);
    }
    expect(await catalog.planPolicyFor(patient.id, doc.id)).toEqual({ planCode, policy });
  });

  test('recordRelationship joins the caller transaction and is idempotent', async () => {
    const patient = await createUser(t, { role: 'patient' });
    await setPlan(t, admin, patient.id, { planCode: 'vise' });
    await expect(
      t.platform.uow(async (tx) => {
        await catalog.recordRelationship(tx, {
          clinicianId: doc.id,
          patientId: patient.id,
          source: 'appointment',
        });
        throw new Error('the appointment failed');
      }),
    ).rejects.toThrow('the appointment failed');
    expect((await catalog.planPolicyFor(patient.id, doc.id)).policy).toBe('pay');
    const first = await t.platform.uow((tx) =>
      catalog.recordRelationship(tx, { clinicianId: doc.id, patientId: patient.id, source: 'appointment' }),
    );
    const second = await t.platform.uow((tx) =>
      catalog.recordRelationship(tx, { clinicianId: doc.id, patientId: patient.id, source: 'appointment' }),
    );
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, relationship: { id: first.relationship.id } });
    expect((await catalog.planPolicyFor(patient.id, doc.id)).policy).toBe('free');
  });
});
