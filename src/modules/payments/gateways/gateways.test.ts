import { describe, expect, test } from 'vitest';
import { AppError } from '../../../platform/errors.js';
import { createRazorpayGateway } from './razorpay.js';
import { signSandboxPayload, verifySandboxSignature } from './sandbox.js';

const NOW = new Date('2030-01-07T06:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof AppError ? `${err.status} ${err.code}` : String(err);
  }
};

describe('Razorpay webhook signature', () => {
  // The razorpay-node SDK's own test vector for validateWebhookSignature.
  const body = '{"a":1,"b":2,"c":{"d":3}}';
  const gateway = createRazorpayGateway({
    keyId: 'rzp_test',
    keySecret: 'api-secret',
    webhookSecret: '123456',
  });
  const headers = (signature: string, eventId = 'evt_vector') => ({
    'x-razorpay-signature': signature,
    'x-razorpay-event-id': eventId,
  });

  test('accepts the SDK test vector', () => {
    const ev = gateway.parseWebhook(
      Buffer.from(body),
      headers('2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc'),
      NOW,
    );
    expect(ev).toMatchObject({ eventId: 'evt_vector', type: 'unknown' });
    expect(ev.payment).toBeUndefined();
  });

  test.each([
    ['a wrong signature', headers('sdfafds')],
    ['an empty signature', headers('')],
    [
      'no event id',
      { 'x-razorpay-signature': '2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc' },
    ],
    ['no headers at all', {}],
  ])('refuses %s', (_name, h) => {
    expect(codeOf(() => gateway.parseWebhook(Buffer.from(body), h, NOW))).toBe(
      '400 WEBHOOK_SIGNATURE_INVALID',
    );
  });
});

describe('sandbox webhook signature', () => {
  const secret = 's'.repeat(40);
  const raw = '{"id":"sbx_evt_1"}';
  test.each([
    ['fresh', signSandboxPayload(secret, raw, nowSeconds), 'ok'],
    ['300 s old', signSandboxPayload(secret, raw, nowSeconds - 300), 'ok'],
    ['301 s old', signSandboxPayload(secret, raw, nowSeconds - 301), '400 WEBHOOK_SIGNATURE_INVALID'],
    ['another secret', signSandboxPayload('x'.repeat(40), raw, nowSeconds), '400 WEBHOOK_SIGNATURE_INVALID'],
    [
      'rotated: one of two v1 matches',
      `${signSandboxPayload(secret, raw, nowSeconds)},v1=${'0'.repeat(64)}`,
      'ok',
    ],
    ['no timestamp', `v1=${'0'.repeat(64)}`, '400 WEBHOOK_SIGNATURE_INVALID'],
    ['garbage', 'garbage', '400 WEBHOOK_SIGNATURE_INVALID'],
  ])('%s -> %s', (_name, header, expected) => {
    expect(codeOf(() => verifySandboxSignature(secret, Buffer.from(raw), header, NOW))).toBe(expected);
  });

  test('one changed byte fails', () => {
    const header = signSandboxPayload(secret, raw, nowSeconds);
    expect(
      codeOf(() => verifySandboxSignature(secret, Buffer.from(raw.replace('1', '2')), header, NOW)),
    ).toBe('400 WEBHOOK_SIGNATURE_INVALID');
  });
});
