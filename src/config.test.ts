import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'carebook-config-'));

// Shaped like `openssl rand -base64 48`: what production accepts.
const random = () => randomBytes(48).toString('base64');
const SAFE_PRODUCTION = {
  JWT_SECRET: random(),
  OTP_SECRET: random(),
  STRIPE_SECRET_KEY: 'sk_live_0000',
  STRIPE_WEBHOOK_SECRET: 'whsec_0000',
};
const TWILIO = { TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'tok', TWILIO_FROM: '+15005550006' };

describe('loadConfig', () => {
  test('defaults', () => {
    const config = loadConfig({ DATA_DIR: tmp() });
    expect(config.http.port).toBe(3000);
    expect(config.http.publicUrl).toBe('http://localhost:3000');
    expect(config.defaultRegion).toBe('IN');
    expect(config.currency).toBe('INR');
    expect(config.booking.holdMinutes).toBe(15);
    expect(config.payments.defaultProvider).toBe('sandbox');
    expect(config.video.provider).toBe('jitsi');
  });

  test('development generates missing secrets once and keeps them under DATA_DIR', () => {
    const dir = tmp();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(first.auth.jwtSecret).toHaveLength(64);
    expect(second.auth.jwtSecret).toBe(first.auth.jwtSecret);
    expect(second.auth.otpSecret).toBe(first.auth.otpSecret);
    expect(JSON.parse(readFileSync(path.join(dir, 'secrets.json'), 'utf8')).OTP_SECRET).toBe(
      first.auth.otpSecret,
    );
  });

  test('production refuses to start without a required setting and names it', () => {
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        DATA_DIR: tmp(),
        DATABASE_URL: 'postgres://u:p@db/x',
        PUBLIC_URL: 'https://c.example',
      }),
    ).toThrow(new ConfigError('Missing required setting(s) in production: JWT_SECRET, OTP_SECRET'));
  });

  describe('production messaging', () => {
    const production = (env: Record<string, string> = {}) =>
      loadConfig({
        NODE_ENV: 'production',
        DATA_DIR: tmp(),
        DATABASE_URL: 'postgres://u:p@db/x',
        PUBLIC_URL: 'https://c.example',
        ...SAFE_PRODUCTION,
        ...env,
      });
    const twilio = { TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'tok', TWILIO_FROM: '+15005550006' };
    const gallabox = { GALLABOX_API_KEY: 'k', GALLABOX_API_SECRET: 's', GALLABOX_CHANNEL_ID: 'c' };

    test('without a WhatsApp or SMS provider, start-up is refused and names the settings', () => {
      expect(() => production({ SMTP_URL: 'smtp://mail.example' })).toThrow(ConfigError);
      expect(() => production()).toThrow(
        /WhatsApp or SMS provider.*GALLABOX_API_KEY, GALLABOX_API_SECRET, GALLABOX_CHANNEL_ID.*TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM/,
      );
    });

    test('a half-configured provider is refused and the missing settings are named', () => {
      expect(() => production({ ...twilio, GALLABOX_API_KEY: 'k' })).toThrow(
        'WhatsApp (Gallabox) also needs GALLABOX_API_SECRET, GALLABOX_CHANNEL_ID',
      );
    });

    test.each([
      ['SMS', twilio],
      ['WhatsApp', gallabox],
    ])('either provider (%s) is enough', (_name, env) => {
      expect(production(env).messaging.devInbox).toBe(false);
    });

    test('development still falls back to the console channel', () => {
      expect(loadConfig({ DATA_DIR: tmp() }).messaging).toMatchObject({ devInbox: true, twilio: undefined });
    });
  });

  describe('TRUST_PROXY', () => {
    test.each([
      [undefined, false],
      ['', false],
      ['0', false],
      ['false', false],
      ['1', 1],
      ['2', 2],
      ['10.0.0.0/8, 192.168.1.7', ['10.0.0.0/8', '192.168.1.7']],
      ['loopback,fd00::/8', ['loopback', 'fd00::/8']],
    ])('%j trusts %j', (value, expected) => {
      const config = loadConfig({ DATA_DIR: tmp(), ...(value === undefined ? {} : { TRUST_PROXY: value }) });
      expect(config.http.trustProxy).toEqual(expected);
    });

    test.each(['true', '11', 'proxy.internal', '10.0.0.0/33', '10.0.0.1, nope'])(
      '%j is refused with the setting named',
      (value) => {
        expect(() => loadConfig({ DATA_DIR: tmp(), TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
      },
    );
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ DEFAULT_CURRENCY: 'RUPEES' }, 'DEFAULT_CURRENCY'],
    [{ PAYMENT_PROVIDER: 'paypal' }, 'PAYMENT_PROVIDER'],
  ])('an invalid value %j is rejected with its name', (env, name) => {
    expect(() => loadConfig({ DATA_DIR: tmp(), ...env })).toThrow(name);
  });

  test('the result is deeply frozen', () => {
    const config = loadConfig({ DATA_DIR: tmp() });
    expect(Object.isFrozen(config.booking)).toBe(true);
    expect(() => {
      (config.booking as { holdMinutes: number }).holdMinutes = 1;
    }).toThrow();
  });

  describe('production refuses unsafe settings (issue 10)', () => {
    const production = (env: Record<string, string> = {}) =>
      loadConfig({
        NODE_ENV: 'production',
        DATA_DIR: tmp(),
        DATABASE_URL: 'postgres://u:p@db/x',
        PUBLIC_URL: 'https://c.example',
        ...SAFE_PRODUCTION,
        ...TWILIO,
        ...env,
      });

    test('random secrets, a gateway and an SMS provider start', () => {
      const config = production();
      expect(config.payments.defaultProvider).toBe('stripe');
      expect(config.payments.sandboxAllowedInProduction).toBe(false);
    });

    test.each([
      [
        'the .env.example placeholder',
        { JWT_SECRET: 'change-me-at-least-32-characters-long' },
        /JWT_SECRET is a placeholder/,
      ],
      ['32 times "a"', { JWT_SECRET: 'a'.repeat(32) }, /JWT_SECRET has too little entropy/],
      ['a repeated pattern', { OTP_SECRET: 'abcd1234'.repeat(6) }, /OTP_SECRET has too little entropy/],
      ['a sequence', { OTP_SECRET: 'abcdefghijklmnopqrstuvwxyzABCDEF' }, /OTP_SECRET has too little entropy/],
      [
        'few distinct characters',
        { JWT_SECRET: '0101001101010011010100110101001101' },
        /JWT_SECRET has too little entropy/,
      ],
      [
        'JWT_SECRET equal to OTP_SECRET',
        { OTP_SECRET: SAFE_PRODUCTION.JWT_SECRET },
        /OTP_SECRET is the same as JWT_SECRET/,
      ],
      [
        'a placeholder METRICS_TOKEN',
        { METRICS_TOKEN: 'change-me-at-least-32-characters-long' },
        /METRICS_TOKEN is a placeholder/,
      ],
    ])('%s is refused, with how to generate a secret', (_name, env, message) => {
      let error: unknown;
      try {
        production(env);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain('openssl rand -base64 48');
    });

    test('without gateway keys the sandbox is refused, naming the keys and the staging switch', () => {
      const noKeys = { STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '' };
      expect(() => production(noKeys)).toThrow(/sandbox gateway.*ALLOW_SANDBOX_PAYMENTS=true/);
      expect(() => production({ PAYMENT_PROVIDER: 'sandbox' })).toThrow(/ALLOW_SANDBOX_PAYMENTS/);
    });

    test('ALLOW_SANDBOX_PAYMENTS=true allows it only with a webhook secret to sign its webhooks', () => {
      const staging = { STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '', ALLOW_SANDBOX_PAYMENTS: 'true' };
      expect(() => production(staging)).toThrow(/SANDBOX_WEBHOOK_SECRET.*openssl rand -base64 48/);
      const config = production({ ...staging, SANDBOX_WEBHOOK_SECRET: random() });
      expect(config.payments).toMatchObject({ defaultProvider: 'sandbox', sandboxAllowedInProduction: true });
    });

    test('the server listens on 127.0.0.1 unless HOST is set', () => {
      expect(loadConfig({ DATA_DIR: tmp() }).http.host).toBe('127.0.0.1');
      expect(loadConfig({ DATA_DIR: tmp(), HOST: '0.0.0.0' }).http.host).toBe('0.0.0.0');
    });
  });
});
