import { describe, expect, test } from 'vitest';
import {
  backoffMs,
  canReach,
  classifyHttpStatus,
  MAX_ATTEMPTS,
  nextStep,
  pickChannel,
  providerFor,
} from './messaging.rules.js';
import { checkVars, render, TEMPLATE_IDS, TEMPLATE_VARS, templateRoutes } from './messaging.templates.js';

const NOW = new Date('2030-01-07T06:00:00Z');
const full = { userId: 'u1', phone: '+919876543210', email: 'a@b.test' };

describe('channel choice', () => {
  test.each([
    ['whatsapp', { phone: '+919876543210' }, true],
    ['whatsapp', { email: 'a@b.test' }, false],
    ['sms', { phone: '+919876543210' }, true],
    ['email', { phone: '+919876543210' }, false],
    ['email', { email: 'a@b.test' }, true],
    ['in_app', { phone: '+919876543210' }, false],
    ['in_app', { userId: 'u1' }, true],
    ['console', { email: 'a@b.test' }, true],
    ['console', { userId: 'u1' }, false],
  ] as const)('%s reaches %j: %s', (channel, recipient, expected) => {
    expect(canReach(channel, recipient)).toBe(expected);
  });

  test.each([
    [['whatsapp', 'sms'], full, 'whatsapp', ['sms']],
    [['in_app', 'whatsapp'], { phone: '+919876543210' }, 'whatsapp', []],
    [['email', 'sms'], { phone: '+919876543210' }, 'sms', []],
    [['email'], { phone: '+919876543210' }, null, []],
  ] as const)('chain %j for %j picks %s then %j', (chain, recipient, channel, fallback) => {
    const picked = pickChannel(chain, recipient);
    if (channel === null) expect(picked).toBeNull();
    else expect(picked).toEqual({ channel, fallback });
  });

  test.each([
    ['whatsapp', { whatsapp: true, sms: false, email: false }, 'gallabox'],
    ['whatsapp', { whatsapp: false, sms: true, email: true }, 'console'],
    ['sms', { whatsapp: false, sms: true, email: false }, 'twilio'],
    ['sms', { whatsapp: true, sms: false, email: true }, 'console'],
    ['email', { whatsapp: false, sms: false, email: true }, 'smtp'],
    ['email', { whatsapp: true, sms: true, email: false }, 'console'],
    ['in_app', { whatsapp: false, sms: false, email: false }, 'in_app'],
    ['console', { whatsapp: true, sms: true, email: true }, 'console'],
  ] as const)('%s with %j goes by %s', (channel, configured, provider) => {
    expect(providerFor(channel, configured)).toBe(provider);
  });
});

describe('retries', () => {
  test.each([
    [200, 'ok'],
    [201, 'ok'],
    [400, 'permanent'],
    [401, 'permanent'],
    [404, 'permanent'],
    [408, 'retryable'],
    [422, 'permanent'],
    [429, 'retryable'],
    [500, 'retryable'],
    [503, 'retryable'],
  ] as const)('HTTP %i is %s', (status, verdict) => {
    expect(classifyHttpStatus(status)).toBe(verdict);
  });

  test.each([
    [1, 30_000],
    [2, 60_000],
    [3, 120_000],
    [4, 240_000],
    [10, 30 * 60_000],
  ])('backoff after attempt %i is %i ms', (attempt, ms) => {
    expect(backoffMs(attempt)).toBe(ms);
  });

  test.each([
    [{ kind: 'sent', providerMessageId: 'x' }, 1, { kind: 'sent' }],
    [{ kind: 'retryable', error: 'e' }, 1, { kind: 'retry', at: new Date(NOW.getTime() + 30_000) }],
    [
      { kind: 'retryable', error: 'e' },
      MAX_ATTEMPTS - 1,
      { kind: 'retry', at: new Date(NOW.getTime() + backoffMs(MAX_ATTEMPTS - 1)) },
    ],
    [{ kind: 'retryable', error: 'e' }, MAX_ATTEMPTS, { kind: 'failed', fallback: ['sms'] }],
    [{ kind: 'permanent', error: 'e' }, 1, { kind: 'failed', fallback: ['sms'] }],
  ] as const)('%j on attempt %i -> %j', (outcome, attempt, step) => {
    expect(nextStep(outcome, attempt, NOW, ['sms'])).toEqual(step);
  });
});

describe('templates', () => {
  test('the contract templates exist with their variables', () => {
    expect(TEMPLATE_IDS).toEqual([
      'otp_verification',
      'appointment_confirmed',
      'payment_received',
      'appointment_reminder',
      'meet_link',
      'appointment_cancelled',
      'refund_processed',
      'doctor_new_booking',
      'admin_new_booking',
      'consultation_assigned',
      'session_low_credits',
      'session_message',
      'consultation_queued',
      'consultation_taken',
    ]);
  });

  test.each(TEMPLATE_IDS)('%s renders every variable on every channel', (id) => {
    const vars = Object.fromEntries(TEMPLATE_VARS[id].map((k) => [k, `<${k}-value>`]));
    const r = render(id, checkVars(id, vars));
    expect(r.whatsapp).toEqual({ templateName: id, bodyValues: vars });
    for (const k of TEMPLATE_VARS[id]) {
      expect(r.sms).toContain(`<${k}-value>`);
      expect(r.email.text).toContain(`<${k}-value>`);
      // HTML escapes what the caller passed.
      expect(r.email.html).toContain(`&lt;${k}-value&gt;`);
    }
    expect(r.email.html).not.toContain('<patientName-value>');
    expect(r.email.subject).toMatch(/^Carebook: /);
    expect(r.inApp.title.length).toBeGreaterThan(0);
    expect(templateRoutes(id).length).toBeGreaterThan(0);
  });

  test.each([
    ['a missing variable', { code: '123456' }],
    ['an unknown variable', { code: '123456', minutes: '10', extra: 'x' }],
    ['a non-string variable', { code: 123456, minutes: '10' }],
  ])('%s is refused', (_label, vars) => {
    expect(() => checkVars('otp_verification', vars)).toThrow(/TEMPLATE_VARS_INVALID|invalid/i);
  });

  test('optional parts are left out when empty', () => {
    const base = { patientName: 'A', clinicianName: 'B', startsAt: 'C', reason: 'D' };
    expect(render('appointment_cancelled', { ...base, refundAmount: '' }).sms).not.toContain('Refund');
    expect(render('appointment_cancelled', { ...base, refundAmount: 'INR 299.00' }).sms).toContain(
      'Refund: INR 299.00.',
    );
    const reminder = { patientName: 'A', clinicianName: 'B', startsAt: 'C', place: 'Online' };
    expect(render('appointment_reminder', { ...reminder, joinUrl: '' }).sms).not.toContain('Join');
    const withLink = render('appointment_reminder', { ...reminder, joinUrl: 'https://meet.example.test/r' });
    expect(withLink.email.html).toContain('<a href="https://meet.example.test/r">');
  });

  test('the OTP goes by WhatsApp, then SMS', () => {
    expect(templateRoutes('otp_verification')).toEqual([['whatsapp', 'sms']]);
  });
});
