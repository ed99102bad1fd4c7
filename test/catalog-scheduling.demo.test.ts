import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CatalogModule } from '../src/modules/catalog/index.js';
import { DEMO_PHONES } from '../src/modules/identity/index.js';
import { startTestApp, type TestApp } from './support/app.js';

describe('catalog and scheduling demo data', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SEED_DEMO_DATA: 'true' } });
  });
  afterAll(() => t?.close());

  test('two centres, one in Asia/Kolkata and one in Europe/London', async () => {
    const res = await t.http.get('/api/centres');
    expect(res.body.map((c: { city: string; timeZone: string }) => [c.city, c.timeZone]).sort()).toEqual([
      ['Bengaluru', 'Asia/Kolkata'],
      ['London', 'Europe/London'],
    ]);
  });

  test('the six demo clinicians are listed at the centre of their zone with bookable slots', async () => {
    const clinicians = (await t.http.get('/api/clinicians')).body;
    expect(clinicians).toHaveLength(6);
    for (const c of clinicians) {
      expect(c.centres.map((x: { timeZone: string }) => x.timeZone)).toEqual([c.timeZone]);
      expect(c.fee.amount).toBeGreaterThan(0);
      const slots = (
        await t.http.get(`/api/clinicians/${c.id}/slots?from=${t.clock.day(1)}&to=${t.clock.day(14)}`)
      ).body.slots;
      expect(slots.length).toBeGreaterThan(50);
      // Booking's demo data may hold or book a few of them.
      expect(slots.filter((s: { status: string }) => s.status === 'available').length).toBeGreaterThan(40);
    }
    const london = clinicians.filter((c: { timeZone: string }) => c.timeZone === 'Europe/London');
    expect(london).toHaveLength(3);
  });

  test('the first demo patient is on vise with a relationship; the second pays', async () => {
    const catalog = (t.modules.find((m) => m.name === 'catalog') as CatalogModule).service;
    const { rows } = await t.platform.pool.query<{ id: string; phone: string }>(
      'select id, phone from users where phone = any($1)',
      [[...DEMO_PHONES.patients]],
    );
    const vise = rows.find((r) => r.phone === DEMO_PHONES.patients[0])!;
    const other = rows.find((r) => r.phone === DEMO_PHONES.patients[1])!;
    const policies = await Promise.all(
      (await catalog.listClinicians({})).map((c) => catalog.planPolicyFor(vise.id, c.id)),
    );
    expect(policies.filter((p) => p.policy === 'free')).toHaveLength(1);
    expect(policies.every((p) => p.planCode === 'vise')).toBe(true);
    const [anyClinician] = await catalog.listClinicians({});
    expect(await catalog.planPolicyFor(other.id, anyClinician!.id)).toEqual({
      planCode: 'standard',
      policy: 'pay',
    });
  });
});
