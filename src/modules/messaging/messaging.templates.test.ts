import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { openVars, redactVars, render, sealVars, usableChains } from './messaging.templates.js';

describe('usableChains: channels follow the configured providers (issue 10)', () => {
  const none = { whatsapp: false, sms: false, email: false };
  test('SMS only: the OTP goes by SMS, never by a console stand-in for WhatsApp', () => {
    expect(usableChains([['whatsapp', 'sms']], { ...none, sms: true }, false)).toEqual([['sms']]);
    expect(usableChains([['whatsapp', 'sms']], { ...none, sms: true }, true)).toEqual([['sms']]);
  });
  test('WhatsApp first when both are configured', () => {
    expect(usableChains([['whatsapp', 'sms']], { ...none, whatsapp: true, sms: true }, false)).toEqual([
      ['whatsapp', 'sms'],
    ]);
  });
  test('outside development, unconfigured channels and the console are dropped; in-app stays', () => {
    expect(usableChains([['whatsapp', 'sms'], ['email'], ['in_app'], ['console']], none, false)).toEqual([
      ['in_app'],
    ]);
  });
  test('in development a chain with no provider at all goes to the dev inbox whole', () => {
    expect(usableChains([['whatsapp', 'sms'], ['email']], none, true)).toEqual([
      ['whatsapp', 'sms'],
      ['email'],
    ]);
  });
});

describe('secret template variables', () => {
  const key = randomBytes(32);
  test('are sealed for storage, opened for sending, masked in stored text', () => {
    const vars = { code: '123456', minutes: '10' };
    const sealed = sealVars('otp_verification', vars, key);
    expect(sealed.minutes).toBe('10');
    expect(sealed.code).not.toContain('123456');
    expect(sealVars('otp_verification', sealed, key)).toEqual(sealed);
    expect(openVars('otp_verification', sealed, key)).toEqual(vars);
    expect(openVars('otp_verification', sealed, randomBytes(32)).code).not.toBe('123456');
    expect(render('otp_verification', redactVars('otp_verification', vars)).sms).not.toContain('123456');
  });
  test('other templates are stored as given', () => {
    const vars = { patientName: 'A', amount: 'INR 1.00', reference: 'r' };
    expect(sealVars('payment_received', vars, key)).toEqual(vars);
  });
});
