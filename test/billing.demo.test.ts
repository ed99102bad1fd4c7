import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEMO_PHONES } from '../src/modules/identity/index.js';
import { billingOf, checkLedgerInvariants } from './billing/support.js';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { SEED_DEMO_DATA: 'true' } });
});
afterAll(() => t?.close());

test('demo data: a subscribed patient with credits, a clinician with earnings, both in the start banner', async () => {
  const id = async (phone: string) =>
    (await t.platform.pool.query('select id from users where phone = $1', [phone])).rows[0].id as string;
  const patient = await id(DEMO_PHONES.patients[1]);
  const doc = await id(DEMO_PHONES.clinicians[0]);
  const sub = await billingOf(t).currentSubscription(patient);
  expect(sub).toMatchObject({ plan: { code: 'standard' }, status: 'ACTIVE' });
  expect(sub.credits.text).toBeGreaterThan(0);
  const wallet = await billingOf(t).wallet(doc);
  expect(wallet.posted.amount).toBeGreaterThan(0);
  const plans = (await t.http.get('/api/plans')).body as Array<{ code: string; credits: { text: number } }>;
  expect(plans.filter((p) => p.credits.text > 0).length).toBeGreaterThanOrEqual(3);
  const banner = (await Promise.all(t.modules.map((m) => m.describeDemo?.() ?? []))).flat();
  expect(banner.some((l) => l.includes(DEMO_PHONES.patients[1]) && l.includes('credits'))).toBe(true);
  expect(banner.some((l) => l.includes(DEMO_PHONES.clinicians[0]) && l.includes('wallet'))).toBe(true);
  await checkLedgerInvariants(t);
});
