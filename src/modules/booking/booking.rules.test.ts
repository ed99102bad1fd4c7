import { describe, expect, test } from 'vitest';
import { AppError } from '../../platform/errors.js';
import { formatMoney } from '../../platform/money.js';
import {
  type AppointmentEvent,
  type AppointmentStatus,
  bookingParty,
  bookingPolicy,
  dayRange,
  effectiveStatus,
  formatWhen,
  nextStatus,
  noShowDueBefore,
  occupancyOf,
  patientMayChange,
  remindAtFor,
  transition,
} from './booking.rules.js';

const STATUSES: AppointmentStatus[] = [
  'PENDING_PAYMENT',
  'CONFIRMED',
  'EXPIRED',
  'CANCELLED',
  'COMPLETED',
  'NO_SHOW',
];
const EVENTS: AppointmentEvent[] = ['pay', 'late_pay', 'expire', 'cancel', 'complete', 'no_show'];

const ALLOWED: Record<string, AppointmentStatus> = {
  'PENDING_PAYMENT pay': 'CONFIRMED',
  'PENDING_PAYMENT late_pay': 'CONFIRMED',
  'PENDING_PAYMENT expire': 'EXPIRED',
  'PENDING_PAYMENT cancel': 'CANCELLED',
  'CONFIRMED complete': 'COMPLETED',
  'CONFIRMED no_show': 'NO_SHOW',
  'CONFIRMED cancel': 'CANCELLED',
  'EXPIRED late_pay': 'CONFIRMED',
  'NO_SHOW complete': 'COMPLETED',
};

describe('appointment state machine', () => {
  const cases = STATUSES.flatMap((s) => EVENTS.map((e) => [s, e, ALLOWED[`${s} ${e}`] ?? null] as const));
  test.each(cases)('%s --%s--> %s', (from, event, to) => {
    expect(nextStatus(from, event)).toBe(to);
    if (to) expect(transition(from, event)).toBe(to);
    else {
      const err = (() => {
        try {
          transition(from, event);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 409, code: 'INVALID_APPOINTMENT_STATE' });
    }
  });

  test('terminal states have no way out', () => {
    for (const s of ['CANCELLED', 'COMPLETED'] as const)
      for (const e of EVENTS) expect(nextStatus(s, e), `${s} ${e}`).toBeNull();
  });
});

describe('holds are enforced on read', () => {
  const now = new Date('2030-01-07T06:00:00Z');
  test.each([
    ['PENDING_PAYMENT', '2030-01-07T06:00:00.001Z', 'PENDING_PAYMENT', 'held'],
    ['PENDING_PAYMENT', '2030-01-07T06:00:00.000Z', 'EXPIRED', null],
    ['PENDING_PAYMENT', '2030-01-07T05:59:59.999Z', 'EXPIRED', null],
    ['CONFIRMED', null, 'CONFIRMED', 'booked'],
    ['COMPLETED', null, 'COMPLETED', 'booked'],
    ['EXPIRED', '2030-01-07T07:00:00Z', 'EXPIRED', null],
    ['CANCELLED', null, 'CANCELLED', null],
    ['NO_SHOW', null, 'NO_SHOW', null],
  ] as const)('%s expiring %s reads as %s and occupies as %s', (status, exp, seen, occ) => {
    const a = { status, holdExpiresAt: exp ? new Date(exp) : null };
    expect(effectiveStatus(a, now)).toBe(seen);
    expect(occupancyOf(a, now)).toBe(occ);
  });
});

describe('cancellation window (24 h)', () => {
  const startsAt = new Date('2030-01-10T10:00:00Z');
  const MIN = 60_000;
  test.each([
    ['24 h + 1 min before', 24 * 60 + 1, true],
    ['exactly 24 h before', 24 * 60, true],
    ['24 h - 1 min before', 24 * 60 - 1, false],
    ['1 h before', 60, false],
    ['after the start', -5, false],
  ])('%s -> %s', (_label, minutesBefore, allowed) => {
    const now = new Date(startsAt.getTime() - minutesBefore * MIN);
    expect(patientMayChange({ startsAt, now, windowHours: 24 })).toBe(allowed);
  });
  test('a zero-hour window allows changes until the start', () => {
    expect(patientMayChange({ startsAt, now: new Date(startsAt.getTime() - 1), windowHours: 0 })).toBe(true);
  });
});

describe('reminder and no-show times', () => {
  const startsAt = new Date('2030-01-10T10:00:00Z');
  test.each([
    ['booked days ahead', '2030-01-07T06:00:00Z', '2030-01-09T10:00:00.000Z'],
    ['booked 1 h after the reminder moment', '2030-01-09T11:00:00Z', null],
    ['booked exactly at the reminder moment', '2030-01-09T10:00:00Z', null],
  ])('%s', (_l, now, expected) => {
    expect(remindAtFor(startsAt, 24, new Date(now))?.toISOString() ?? null).toBe(expected);
  });
  test('no-show cut-off is the configured minutes before now', () => {
    expect(noShowDueBefore(new Date('2030-01-10T12:00:00Z'), 60).toISOString()).toBe(
      '2030-01-10T11:00:00.000Z',
    );
  });
});

describe('who books and how', () => {
  const P = '11111111-1111-4111-8111-111111111111';
  const Q = '22222222-2222-4222-8222-222222222222';
  test.each([
    [
      'patient for self',
      { userId: P, role: 'patient' as const },
      undefined,
      { patientId: P, source: 'WEB_PATIENT' },
    ],
    [
      'patient naming self',
      { userId: P, role: 'patient' as const },
      P,
      { patientId: P, source: 'WEB_PATIENT' },
    ],
    ['front desk', { userId: Q, role: 'staff' as const }, P, { patientId: P, source: 'FRONT_DESK' }],
    ['admin', { userId: Q, role: 'admin' as const }, P, { patientId: P, source: 'ADMIN' }],
  ])('%s', (_l, actor, patientId, expected) => {
    expect(bookingParty(actor, patientId)).toEqual(expected);
  });
  test.each([
    ['patient for another patient', { userId: P, role: 'patient' as const }, Q, 403],
    ['staff without a patient', { userId: Q, role: 'staff' as const }, undefined, 400],
    ['clinician', { userId: Q, role: 'clinician' as const }, P, 403],
  ])('%s is refused', (_l, actor, patientId, status) => {
    expect(() => bookingParty(actor, patientId)).toThrow(expect.objectContaining({ status }));
  });
});

describe('plan policy (seed 001)', () => {
  test.each([
    ['none', 'pay', false, 'pay'],
    ['none', 'pay', true, 'refuse'],
    ['none', 'refuse', false, 'refuse'],
    ['free_trial', 'pay', true, 'pay'],
    ['standard', 'pay', true, 'pay'],
    ['standard_plus', 'pay', false, 'pay'],
    ['vise', 'free', true, 'free'],
    ['vise', 'pay', true, 'pay'],
  ] as const)('%s answered %s, requirePlan=%s -> %s', (planCode, policy, requirePlan, expected) => {
    expect(bookingPolicy({ planCode, policy }, requirePlan)).toBe(expected);
  });
});

describe('formatting for messages', () => {
  test.each([
    [29900, 'INR', 'INR 299.00'],
    [5, 'INR', 'INR 0.05'],
    [0, 'USD', 'USD 0.00'],
    [1500, 'JPY', 'JPY 1500'],
    [12345, 'KWD', 'KWD 12.345'],
  ])('%i %s -> %s', (amount, currency, text) => {
    expect(formatMoney(amount, currency)).toBe(text);
  });
  test('times are written in the named zone', () => {
    const at = new Date('2030-01-07T04:00:00Z');
    expect(formatWhen(at, 'Asia/Kolkata')).toBe('Mon 7 Jan 2030, 09:30 GMT+5:30');
    expect(formatWhen(new Date('2030-07-01T08:00:00Z'), 'Europe/London')).toContain('09:00');
  });
});

describe("a clinician's day across DST changes", () => {
  test.each([
    ['2030-03-31', 'Europe/London', 23, '2030-03-31T00:00:00.000Z'],
    ['2030-10-27', 'Europe/London', 25, '2030-10-26T23:00:00.000Z'],
    ['2030-06-01', 'Europe/London', 24, '2030-05-31T23:00:00.000Z'],
    ['2030-03-31', 'Asia/Kolkata', 24, '2030-03-30T18:30:00.000Z'],
  ])('%s in %s is %i hours from %s', (day, zone, hours, from) => {
    const r = dayRange(day, zone);
    expect(r.from.toISOString()).toBe(from);
    expect((r.to.getTime() - r.from.getTime()) / 3_600_000).toBe(hours);
  });
});
