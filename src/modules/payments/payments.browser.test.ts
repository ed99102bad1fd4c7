import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser } from '../../../test/factories/identity.js';
import {
  createPayable,
  installTestPayable,
  payableState,
  paymentRow,
} from '../../../test/payments/support.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { launchChromium } from '../../../test/support/browser.js';

describe('sandbox checkout in a real browser', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp();
    await installTestPayable(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  test('Pay on the hosted page completes the payment through the signed webhook', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id, { amount: 49900 });
    const page = await browser.newPage();
    await page.goto(t.url + new URL(checkout!.checkoutUrl!).pathname);
    expect(await page.getByTestId('amount').textContent()).toBe('INR 499.00');
    await Promise.all([page.waitForURL(/\/done\?/), page.getByRole('button', { name: 'Pay' }).click()]);
    expect(await page.getByTestId('result').textContent()).toBe('Payment complete');
    const returned = new URL(page.url());
    expect(returned.searchParams.get('orderId')).toBe(checkout!.orderId);

    // The gateway's webhook delivery is a job: run it, and the payment is confirmed over HTTP.
    expect(await t.runJobs({ names: ['payments.sandbox-deliver'] })).toBe(1);
    expect(await paymentRow(t, paymentId)).toMatchObject({ status: 'SUCCEEDED', captured_minor: 49900 });
    expect(await payableState(t, payableId)).toEqual({ status: 'active', calls: ['succeeded'] });

    // The page now shows the checkout as paid; the buttons are gone.
    await page.goto(t.url + new URL(checkout!.checkoutUrl!).pathname);
    expect(await page.getByTestId('status').textContent()).toBe('Checkout paid');
    expect(await page.getByRole('button', { name: 'Pay' }).count()).toBe(0);
    await page.close();
  });

  test('Fail on the hosted page fails the payment', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const { payableId, paymentId, checkout } = await createPayable(t, patient.id);
    const page = await browser.newPage();
    await page.goto(t.url + new URL(checkout!.checkoutUrl!).pathname);
    await Promise.all([page.waitForURL(/\/done\?/), page.getByRole('button', { name: 'Fail' }).click()]);
    expect(await page.getByTestId('result').textContent()).toBe('Payment failed');
    await t.runJobs({ names: ['payments.sandbox-deliver'] });
    expect((await paymentRow(t, paymentId)).status).toBe('FAILED');
    expect(await payableState(t, payableId)).toEqual({ status: 'failed', calls: ['failed'] });
    await page.close();
  });
});
