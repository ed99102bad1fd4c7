import { describe, expect, test } from 'vitest';
import {
  changedFieldNames,
  dateOfBirthProblem,
  hashOtp,
  hashRefreshToken,
  newOtpCode,
  newRefreshToken,
  normalizePhone,
  type OtpState,
  otpAttemptOutcome,
  otpMatches,
  otpSendDecision,
} from './identity.rules.js';

describe('normalizePhone', () => {
  test.each([
    ['98765 43210', 'IN', '+919876543210'],
    ['+91 98765 43210', 'IN', '+919876543210'],
    ['+91-98765-43210', 'GB', '+919876543210'],
    ['(098765) 43210', 'IN', '+919876543210'],
    ['07911 123456', 'GB', '+447911123456'],
    ['+44 7911 123456', 'IN', '+447911123456'],
    ['12345', 'IN', null],
    ['+91 98765 4321', 'IN', null],
    ['98765abc43210', 'IN', null],
    ['', 'IN', null],
    ['+447700900123', 'IN', null], // the UK drama range is not a real mobile
  ])('%s in %s -> %s', (input, region, expected) => {
    expect(normalizePhone(input, region)).toBe(expected);
  });
});

describe('OTP codes and hashes', () => {
  test('codes are six digits and vary', () => {
    const codes = new Set(Array.from({ length: 200 }, newOtpCode));
    for (const c of codes) expect(c).toMatch(/^\d{6}$/);
    expect(codes.size).toBeGreaterThan(190);
  });

  test('the hash is keyed by the secret and bound to the phone', () => {
    const h = hashOtp('secret-a', '+919876543210', '123456');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).not.toContain('123456');
    expect(otpMatches('secret-a', '+919876543210', '123456', h)).toBe(true);
    expect(otpMatches('secret-b', '+919876543210', '123456', h)).toBe(false);
    expect(otpMatches('secret-a', '+919876543211', '123456', h)).toBe(false);
    expect(otpMatches('secret-a', '+919876543210', '123457', h)).toBe(false);
    expect(otpMatches('secret-a', '+919876543210', '123456', 'not-hex')).toBe(false);
  });

  test('refresh tokens are 32 random bytes stored as SHA-256', () => {
    const token = newRefreshToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(newRefreshToken()).not.toBe(token);
    expect(hashRefreshToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRefreshToken(token)).toBe(hashRefreshToken(token));
  });
});

describe('otpSendDecision', () => {
  const now = new Date('2030-01-07T06:00:00Z');
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
  const base = { now, phoneLimit: 5, ipLimit: 3 };

  test.each([
    ['first code', [], [], { ok: true }],
    ['29 s after the last', [ago(29)], [ago(29)], { ok: false, code: 'OTP_COOLDOWN', retryAfterSeconds: 1 }],
    ['10 s after the last', [ago(10)], [ago(10)], { ok: false, code: 'OTP_COOLDOWN', retryAfterSeconds: 20 }],
    ['30 s after the last', [ago(30)], [ago(30)], { ok: true }],
    [
      'fifth code within the hour for one phone',
      [ago(60), ago(120), ago(180), ago(240), ago(3000)],
      [],
      { ok: false, code: 'RATE_LIMITED', retryAfterSeconds: 600 },
    ],
    ['four codes within the hour', [ago(60), ago(120), ago(180), ago(240)], [], { ok: true }],
    ['old codes leave the window', [ago(60), ago(3600), ago(3700), ago(3800), ago(3900)], [], { ok: true }],
    [
      'third code from one IP',
      [],
      [ago(40), ago(50), ago(3500)],
      { ok: false, code: 'RATE_LIMITED', retryAfterSeconds: 100 },
    ],
  ])('%s', (_name, phoneRecent, ipRecent, expected) => {
    expect(otpSendDecision({ ...base, phoneRecent, ipRecent })).toEqual(expected);
  });
});

describe('otpAttemptOutcome', () => {
  const now = new Date('2030-01-07T06:00:00Z');
  const live: OtpState = {
    expiresAt: new Date(now.getTime() + 60_000),
    consumedAt: null,
    lockedAt: null,
    attempts: 0,
  };
  test.each<[string, Partial<OtpState>, boolean, string]>([
    ['right code', {}, true, 'ok'],
    ['wrong code', {}, false, 'wrong'],
    ['fourth wrong code', { attempts: 3 }, false, 'wrong'],
    ['fifth wrong code locks', { attempts: 4 }, false, 'wrong_now_locked'],
    ['right code after five wrong', { attempts: 5 }, true, 'locked'],
    ['locked code', { lockedAt: now, attempts: 5 }, true, 'locked'],
    ['expired code', { expiresAt: now }, true, 'expired'],
    ['used code', { consumedAt: now }, true, 'used'],
    ['used and expired', { consumedAt: now, expiresAt: now }, false, 'used'],
  ])('%s', (_name, state, matches, expected) => {
    expect(otpAttemptOutcome({ ...live, ...state }, matches, now)).toBe(expected);
  });
});

describe('dateOfBirthProblem', () => {
  const now = new Date('2030-01-07T12:00:00Z');
  test.each([
    ['1990-05-17', null],
    ['2030-01-07', null],
    ['2030-01-08', null], // already the 8th in Kiribati (UTC+14)
    ['2030-01-09', 'cannot be in the future'],
    ['2023-02-29', 'is not a calendar date'],
    ['1899-12-31', 'must be in or after 1900'],
    ['17/05/1990', 'must be a date as YYYY-MM-DD'],
  ])('%s -> %s', (dob, expected) => {
    expect(dateOfBirthProblem(dob, now)).toBe(expected);
  });
});

describe('changedFieldNames', () => {
  const before = { fullName: 'A', email: null, address: { city: 'Pune' }, gender: 'female' };
  test.each<[string, Record<string, unknown>, string[]]>([
    ['nothing', {}, []],
    ['same values', { fullName: 'A', address: { city: 'Pune' } }, []],
    ['a new name', { fullName: 'B' }, ['fullName']],
    ['null to a value and a cleared field', { email: 'a@b.c', gender: null }, ['email', 'gender']],
    ['a nested change', { address: { city: 'Pune', line1: 'x' } }, ['address']],
    ['undefined is not a change', { fullName: undefined }, []],
  ])('%s', (_name, patch, expected) => {
    expect(changedFieldNames(before, patch)).toEqual(expected);
  });
});
