import { afterAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

describe('booking demo data', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  test('the vise demo patient has a free confirmed online appointment with the clinician they are related to', async () => {
    t = await startTestApp({ env: { SEED_DEMO_DATA: 'true' } });
    const { rows } = await t.platform.pool.query(
      `select a.status, a.price_minor, a.payment_id, a.mode, a.starts_at, u.phone
         from appointments a join users u on u.id = a.patient_id`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'CONFIRMED', price_minor: 0, payment_id: null, mode: 'online' });
    expect(rows[0].phone).toBe('+919000000021');
    expect(new Date(rows[0].starts_at).getTime()).toBeGreaterThan(t.clock.now().getTime());
  });
});
