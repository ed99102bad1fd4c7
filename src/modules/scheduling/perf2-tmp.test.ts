import { expect, test } from 'vitest';
import { createBookableClinician } from '../../../test/factories/catalog.js';
import { createUser } from '../../../test/factories/identity.js';
import { startTestApp } from '../../../test/support/app.js';
import type { SchedulingModule } from './index.js';
import type { CatalogModule } from '../catalog/index.js';
import { drizzle } from 'drizzle-orm/node-postgres';
import { schedulingRepository } from './scheduling.repository.js';

test('perf', async () => {
  const t = await startTestApp({ env: { LOG_LEVEL: 'warn' } });
  const admin = await createUser(t, { role: 'admin' });
  const { clinician } = await createBookableClinician(t, admin, {});
  const s = (t.modules.find((m) => m.name === 'scheduling') as SchedulingModule).service;
  const c = (t.modules.find((m) => m.name === 'catalog') as CatalogModule).service;
  const b = (t.modules.find((m) => m.name === 'booking') as any).service;
  const db = drizzle(t.platform.pool, { casing: 'snake_case' });
  const time = async (name: string, fn: () => Promise<unknown>) => {
    for (let i = 0; i < 10; i++) await fn();
    const st = performance.now();
    for (let i = 0; i < 50; i++) await fn();
    console.log(name, ((performance.now() - st) / 50).toFixed(2), 'ms');
  };
  await time('select1', () => t.platform.pool.query('select 1'));
  await time('loadSchedule', () => schedulingRepository.loadSchedule(db, clinician.id, new Date('2030-01-07'), new Date('2030-02-07')));
  await time('occupancy', () => b.listOccupancy(clinician.id, new Date('2030-01-07'), new Date('2030-02-07'), new Date('2030-01-07')));
  await time('getClinician cached', () => c.getClinician(clinician.id, { maxAgeMs: 5000 }));
  await time('listSlots', () => s.listSlots(clinician.id, { from: '2030-01-08', to: '2030-02-06' }));
  await time('http', () => t.http.get(`/api/clinicians/${clinician.id}/slots?from=2030-01-08&to=2030-02-06`));
  await time('http healthz', () => t.http.get(`/healthz`));
  await t.close();
  expect(1).toBe(1);
}, 90_000);
