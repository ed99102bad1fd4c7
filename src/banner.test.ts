import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { SANDBOX_IN_PRODUCTION_WARNING, startBanner } from './banner.js';
import { loadConfig } from './config.js';

const demo = async () => ['Demo patient: +919000000021'];
const production = (env: Record<string, string> = {}) =>
  loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'carebook-banner-')),
    DATABASE_URL: 'postgres://u:p@db/x',
    PUBLIC_URL: 'https://c.example',
    JWT_SECRET: randomBytes(48).toString('base64'),
    OTP_SECRET: randomBytes(48).toString('base64'),
    TWILIO_ACCOUNT_SID: 'AC1',
    TWILIO_AUTH_TOKEN: 'tok',
    TWILIO_FROM: '+15005550006',
    STRIPE_SECRET_KEY: 'sk_live_1',
    ...env,
  });

test('development shows the dev inbox and the demo logins', async () => {
  const dev = loadConfig({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'carebook-banner-')) });
  const lines = (await startBanner(dev, demo)).join('\n');
  expect(lines).toContain('/dev/inbox');
  expect(lines).toContain('Demo patient');
});

test('production shows no demo logins and no dev inbox', async () => {
  const lines = (await startBanner(production(), demo)).join('\n');
  expect(lines).toContain('Carebook is up: https://c.example');
  expect(lines).not.toContain('Demo');
  expect(lines).not.toContain('/dev/inbox');
  expect(lines).not.toContain(SANDBOX_IN_PRODUCTION_WARNING);
});

test('production on the sandbox (ALLOW_SANDBOX_PAYMENTS=true) says so loudly', async () => {
  const staging = production({
    STRIPE_SECRET_KEY: '',
    ALLOW_SANDBOX_PAYMENTS: 'true',
    SANDBOX_WEBHOOK_SECRET: randomBytes(48).toString('base64'),
  });
  expect(await startBanner(staging, demo)).toContain(SANDBOX_IN_PRODUCTION_WARNING);
});
