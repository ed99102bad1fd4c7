import { describe, expect, test } from 'vitest';
import { formatMoney } from '../../platform/money.js';
import {
  canTransition,
  checkRefund,
  decide,
  decideAuthorization,
  findMismatches,
  isSecondCapture,
  isSecondCaptureRecord,
  type PaymentStatus,
  type ReconcileView,
  STRIPE_MIN_SESSION_SECONDS,
  secondCaptureKey,
  statusAfterRefunds,
  stripeSessionExpiry,
} from './payments.rules.js';

const T0 = new Date('2030-01-07T06:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const expiresAt = at(15);

describe('decide: the payment state machine', () => {
  test.each<[PaymentStatus, 'succeeded' | 'failed' | 'expired', number, string]>([
    ['CREATED', 'succeeded', 5, 'succeed'],
    ['CREATED', 'succeeded', 15, 'late'], // at the expiry instant the hold is over
    ['CREATED', 'succeeded', 16, 'late'],
    ['FAILED', 'succeeded', 5, 'late'], // Razorpay late authorisation
    ['EXPIRED', 'succeeded', 20, 'late'],
    ['SUCCEEDED', 'succeeded', 5, 'none'],
    ['REFUNDED', 'succeeded', 5, 'none'],
    ['CREATED', 'failed', 5, 'fail'],
    ['CREATED', 'failed', 16, 'fail'],
    ['SUCCEEDED', 'failed', 5, 'none'], // an older failure never overrides success
    ['FAILED', 'failed', 5, 'none'],
    ['CREATED', 'expired', 16, 'expire'],
    ['SUCCEEDED', 'expired', 16, 'none'],
    ['FAILED', 'expired', 16, 'none'],
    ['PARTIALLY_REFUNDED', 'failed', 5, 'none'],
  ])('%s + %s at minute %i -> %s', (status, outcome, minute, action) => {
    expect(decide({ status, expiresAt }, outcome, at(minute)).action).toBe(action);
  });

  test.each<[PaymentStatus, number, string]>([
    ['CREATED', 5, 'none'], // the patient can retry on the same order
    ['CREATED', 15, 'fail'], // the hold is over
    ['SUCCEEDED', 5, 'none'],
  ])('a retryable decline on %s at minute %i -> %s', (status, minute, action) => {
    expect(decide({ status, expiresAt }, 'failed', at(minute), { retryable: true }).action).toBe(action);
  });
});

describe('decideAuthorization: capture an authorisation only when it can become this payment', () => {
  const payment = { paymentId: null, amountMinor: 29900, currency: 'INR' };
  test.each<[string, PaymentStatus, string | null, object, string]>([
    ['on time', 'CREATED', null, { paymentRef: 'pay_1', amountMinor: 29900, currency: 'INR' }, 'capture'],
    ['late, after failed', 'FAILED', 'pay_0', { paymentRef: 'pay_1', amountMinor: 29900 }, 'capture'],
    ['late, after expiry', 'EXPIRED', null, { paymentRef: 'pay_1', currency: 'inr' }, 'capture'],
    ['already captured', 'SUCCEEDED', 'pay_1', { paymentRef: 'pay_1' }, 'already_paid'],
    ['refunded since', 'REFUNDED', 'pay_1', { paymentRef: 'pay_1' }, 'already_paid'],
    [
      'another payment on a paid order',
      'SUCCEEDED',
      'pay_1',
      { paymentRef: 'pay_2' },
      'second_authorization',
    ],
    ['another amount', 'CREATED', null, { paymentRef: 'pay_1', amountMinor: 100 }, 'amount_mismatch'],
    ['another currency', 'FAILED', null, { paymentRef: 'pay_1', currency: 'USD' }, 'amount_mismatch'],
  ])('%s', (_name, status, paymentId, fact, expected) => {
    const d = decideAuthorization({ ...payment, status, paymentId }, fact);
    expect(d.action === 'capture' ? 'capture' : d.reason).toBe(expected);
  });
});

describe('canTransition mirrors the database trigger', () => {
  test.each<[PaymentStatus, PaymentStatus, boolean]>([
    ['CREATED', 'SUCCEEDED', true],
    ['CREATED', 'FAILED', true],
    ['CREATED', 'EXPIRED', true],
    ['CREATED', 'REFUNDED', false],
    ['FAILED', 'SUCCEEDED', true],
    ['EXPIRED', 'SUCCEEDED', true],
    ['FAILED', 'CREATED', false],
    ['SUCCEEDED', 'FAILED', false],
    ['SUCCEEDED', 'PARTIALLY_REFUNDED', true],
    ['SUCCEEDED', 'REFUNDED', true],
    ['PARTIALLY_REFUNDED', 'REFUNDED', true],
    ['PARTIALLY_REFUNDED', 'SUCCEEDED', false],
    ['REFUNDED', 'PARTIALLY_REFUNDED', false],
    ['REFUNDED', 'REFUNDED', true],
  ])('%s -> %s: %s', (from, to, ok) => {
    expect(canTransition(from, to)).toBe(ok);
  });
});

describe('refund ceiling', () => {
  const paid = {
    status: 'SUCCEEDED' as PaymentStatus,
    capturedMinor: 10000,
    refundedMinor: 0,
    refundPendingMinor: 0,
  };
  test.each<[string, Partial<typeof paid>, number | undefined, object]>([
    ['all by default', {}, undefined, { ok: true, amount: 10000 }],
    ['a part', {}, 2500, { ok: true, amount: 2500 }],
    [
      'exactly what is left',
      { refundedMinor: 4000, status: 'PARTIALLY_REFUNDED' },
      6000,
      { ok: true, amount: 6000 },
    ],
    [
      'one more than left',
      { refundedMinor: 4000, status: 'PARTIALLY_REFUNDED' },
      6001,
      { ok: false, code: 'REFUND_EXCEEDS_PAYMENT' },
    ],
    ['pending counts', { refundPendingMinor: 9000 }, 1001, { ok: false, code: 'REFUND_EXCEEDS_PAYMENT' }],
    ['rest after pending', { refundPendingMinor: 9000 }, undefined, { ok: true, amount: 1000 }],
    [
      'nothing left',
      { refundedMinor: 10000, status: 'REFUNDED' },
      undefined,
      { ok: false, code: 'PAYMENT_NOT_REFUNDABLE' },
    ],
    ['unpaid', { status: 'CREATED', capturedMinor: 0 }, 100, { ok: false, code: 'PAYMENT_NOT_REFUNDABLE' }],
    ['zero', {}, 0, { ok: false, code: 'REFUND_AMOUNT_INVALID' }],
    ['negative', {}, -1, { ok: false, code: 'REFUND_AMOUNT_INVALID' }],
    ['fraction', {}, 10.5, { ok: false, code: 'REFUND_AMOUNT_INVALID' }],
  ])('%s', (_name, patch, requested, expected) => {
    expect(checkRefund({ ...paid, ...patch }, requested)).toEqual(expected);
  });

  test.each([
    [10000, 0, 'SUCCEEDED'],
    [10000, 1, 'PARTIALLY_REFUNDED'],
    [10000, 9999, 'PARTIALLY_REFUNDED'],
    [10000, 10000, 'REFUNDED'],
  ])('captured %i, refunded %i -> %s', (captured, refunded, status) => {
    expect(statusAfterRefunds(captured, refunded)).toBe(status);
  });
});

describe('formatMoney and the Stripe session expiry', () => {
  test.each([
    [29900, 'INR', 'INR 299.00'],
    [5, 'INR', 'INR 0.05'],
    [100001, 'USD', 'USD 1000.01'],
    [1500, 'JPY', 'JPY 1500'],
    [-250, 'EUR', 'EUR -2.50'],
  ])('%i %s -> %s', (amount, currency, text) => {
    expect(formatMoney(amount, currency)).toBe(text);
  });

  test.each([
    ['a 15-minute hold', 15, STRIPE_MIN_SESSION_SECONDS + 60],
    ['a 1-minute hold', 1, STRIPE_MIN_SESSION_SECONDS + 60],
    ['a 2-hour hold', 120, 120 * 60],
    ['a 3-day hold is capped under 24 hours', 3 * 24 * 60, 24 * 3600 - 60],
  ])('%s', (_name, holdMinutes, seconds) => {
    const now = T0;
    const expiry = stripeSessionExpiry(at(holdMinutes), now);
    expect(expiry - now.getTime() / 1000).toBe(seconds);
    expect(expiry - now.getTime() / 1000).toBeGreaterThanOrEqual(STRIPE_MIN_SESSION_SECONDS);
  });
});

describe('second captures', () => {
  test.each<[string, PaymentStatus, string | null, { outcome: string; paymentRef?: string }, boolean]>([
    [
      'another payment captured on a paid order',
      'SUCCEEDED',
      'pay_1',
      { outcome: 'succeeded', paymentRef: 'pay_2' },
      true,
    ],
    ['also after refunds', 'REFUNDED', 'pay_1', { outcome: 'succeeded', paymentRef: 'pay_2' }, true],
    ['the same payment again', 'SUCCEEDED', 'pay_1', { outcome: 'succeeded', paymentRef: 'pay_1' }, false],
    ['no payment ref in the fact', 'SUCCEEDED', 'pay_1', { outcome: 'succeeded' }, false],
    [
      'the first capture of an unpaid order',
      'CREATED',
      null,
      { outcome: 'succeeded', paymentRef: 'pay_2' },
      false,
    ],
    [
      'late money on a failed payment',
      'FAILED',
      'pay_1',
      { outcome: 'succeeded', paymentRef: 'pay_2' },
      false,
    ],
    ['a failure of another payment', 'SUCCEEDED', 'pay_1', { outcome: 'failed', paymentRef: 'pay_2' }, false],
  ])('%s', (_name, status, paymentId, fact, expected) => {
    expect(isSecondCapture({ status, paymentId }, fact)).toBe(expected);
  });

  test('the record of a second capture is named by its key, one per gateway payment', () => {
    const key = secondCaptureKey('razorpay', 'pay_2');
    expect(key).toBe('second-capture:razorpay:pay_2');
    expect(isSecondCaptureRecord({ idempotencyKey: key })).toBe(true);
    expect(isSecondCaptureRecord({ idempotencyKey: 'test-sub:123' })).toBe(false);
  });
});

describe('findMismatches', () => {
  const base: ReconcileView = {
    status: 'SUCCEEDED',
    amountMinor: 29900,
    capturedMinor: 29900,
    refundedMinor: 0,
    refundPendingMinor: 0,
    expiresAt,
    updatedAt: at(5),
    lateOutcome: null,
    gatewayStatus: 'paid',
    gatewayAmountMinor: 29900,
  };
  const now = at(60);
  test.each<[string, Partial<ReconcileView>, { state: string; paid: boolean } | null | undefined, string[]]>([
    ['all agree', {}, { state: 'active', paid: true }, []],
    [
      'gateway paid, we did not record it',
      { status: 'CREATED', capturedMinor: 0 },
      undefined,
      ['GATEWAY_PAID_NOT_RECORDED', 'OVERDUE_UNSETTLED'],
    ],
    [
      'we say paid, gateway says failed',
      { gatewayStatus: 'failed' },
      undefined,
      ['RECORDED_PAID_GATEWAY_NOT'],
    ],
    ['amounts differ', { gatewayAmountMinor: 100 }, undefined, ['AMOUNT_MISMATCH']],
    [
      'CREATED within grace',
      { status: 'CREATED', capturedMinor: 0, gatewayStatus: null, expiresAt: at(50) },
      undefined,
      [],
    ],
    ['payable unpaid though money kept', {}, { state: 'cancelled', paid: false }, ['PAYABLE_NOT_FULFILLED']],
    [
      'payable unpaid and money refunded: fine',
      { status: 'REFUNDED', refundedMinor: 29900 },
      { state: 'cancelled', paid: false },
      [],
    ],
    [
      'payable paid without money',
      { status: 'FAILED', capturedMinor: 0, gatewayStatus: 'failed' },
      { state: 'active', paid: true },
      ['PAYABLE_PAID_WITHOUT_PAYMENT'],
    ],
    [
      'refund stuck for a day',
      { refundPendingMinor: 100, updatedAt: at(-24 * 60) },
      undefined,
      ['REFUND_STUCK'],
    ],
    ['late refund missing', { lateOutcome: 'refund' }, undefined, ['LATE_REFUND_MISSING']],
    [
      'second capture, refund not asked yet',
      { secondCapture: true },
      { state: 'cancelled', paid: false },
      ['SECOND_CAPTURE_NOT_REFUNDED'],
    ],
    [
      'second capture, refund pending',
      { secondCapture: true, refundPendingMinor: 29900 },
      { state: 'active', paid: true },
      ['SECOND_CAPTURE_NOT_REFUNDED'],
    ],
    [
      'second capture, refund stuck for a day',
      { secondCapture: true, refundPendingMinor: 29900, updatedAt: at(-24 * 60) },
      undefined,
      ['SECOND_CAPTURE_NOT_REFUNDED', 'REFUND_STUCK'],
    ],
    [
      'second capture refunded: cleared',
      { secondCapture: true, status: 'REFUNDED', refundedMinor: 29900 },
      { state: 'active', paid: true },
      [],
    ],
  ])('%s', (_name, patch, payable, expected) => {
    expect(findMismatches({ ...base, ...patch }, payable, now)).toEqual(expected);
  });
});
