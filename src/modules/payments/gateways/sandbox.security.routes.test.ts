import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestUser } from '../../../../test/factories/identity.js';
import { createPayable, paymentRow, startPaymentsApp } from '../../../../test/payments/support.js';
import type { TestApp } from '../../../../test/support/app.js';

// Issue 10 (3): the sandbox's Pay button never turns a declined checkout into a paid one.
let t: TestApp;
let patient: TestUser;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ t, patient, close } = await startPaymentsApp());
});
afterAll(() => close?.());

test('Pay after Fail is refused (409), the checkout stays failed and no success webhook is queued', async () => {
  const { paymentId, checkout } = await createPayable(t, patient.id);
  const path = new URL(checkout!.checkoutUrl!).pathname;
  const failed = await fetch(`${t.url}${path}/fail`, { method: 'POST', redirect: 'manual' });
  expect(failed.status).toBe(303);
  const pay = await fetch(`${t.url}${path}/pay`, { method: 'POST', redirect: 'manual' });
  expect(pay.status).toBe(409);
  expect(pay.headers.get('location')).toBeNull();
  expect(await pay.json()).toMatchObject({ code: 'CHECKOUT_CLOSED' });
  const { rows } = await t.platform.pool.query(`select status from sandbox_checkouts where id = $1`, [
    path.split('/').at(-1),
  ]);
  expect(rows[0].status).toBe('failed');
  await t.runJobs({ names: ['payments.sandbox-deliver'] });
  expect((await paymentRow(t, paymentId)).status).not.toBe('SUCCEEDED');
});

test('a second Pay click answers like the first', async () => {
  const { checkout } = await createPayable(t, patient.id);
  const path = new URL(checkout!.checkoutUrl!).pathname;
  const first = await fetch(`${t.url}${path}/pay`, { method: 'POST', redirect: 'manual' });
  const again = await fetch(`${t.url}${path}/pay`, { method: 'POST', redirect: 'manual' });
  expect([first.status, again.status]).toEqual([303, 303]);
  expect(again.headers.get('location')).toContain('status=paid');
});
