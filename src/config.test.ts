import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'carebook-config-'));

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
});
