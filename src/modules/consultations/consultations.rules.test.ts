import { describe, expect, test } from 'vitest';
import { AppError } from '../../platform/errors.js';
import {
  canRead,
  type LifecycleEvent,
  type LifecycleState,
  pickDoctor,
  shiftLabel,
  toMajorUnits,
  transition,
} from './consultations.rules.js';

const DOC = 'doc-a';
const state = (s: Partial<LifecycleState> = {}): LifecycleState => ({
  status: 'PENDING',
  pendingReason: 'doctor_review',
  doctorId: DOC,
  billTiming: 'BEFORE',
  paymentCleared: true,
  ...s,
});

describe('transition: the one consultation state machine', () => {
  test.each<[string, LifecycleState, LifecycleEvent, Partial<LifecycleState>]>([
    ['assigned and paid: activate', state(), { type: 'activate' }, { status: 'ACTIVE', pendingReason: null }],
    [
      'active: close',
      state({ status: 'ACTIVE', pendingReason: null }),
      { type: 'close' },
      { status: 'CLOSED' },
    ],
    ['pending: cancel', state(), { type: 'cancel' }, { status: 'CANCELLED', pendingReason: null }],
    [
      'active: cancel',
      state({ status: 'ACTIVE', pendingReason: null }),
      { type: 'cancel' },
      { status: 'CANCELLED' },
    ],
    [
      'unassigned pending: claim -> doctor review',
      state({ doctorId: null, pendingReason: 'awaiting_doctor' }),
      { type: 'claim', doctorId: 'doc-b' },
      { status: 'PENDING', doctorId: 'doc-b', pendingReason: 'doctor_review' },
    ],
    [
      'unassigned active (AFTER): claim keeps it active',
      state({
        status: 'ACTIVE',
        pendingReason: null,
        doctorId: null,
        billTiming: 'AFTER',
        paymentCleared: false,
      }),
      { type: 'claim', doctorId: 'doc-b' },
      { status: 'ACTIVE', doctorId: 'doc-b', pendingReason: null },
    ],
    [
      'awaiting payment: payment cleared -> awaiting doctor',
      state({ doctorId: null, pendingReason: 'awaiting_payment', paymentCleared: false }),
      { type: 'payment_cleared' },
      { status: 'PENDING', pendingReason: 'awaiting_doctor', paymentCleared: true },
    ],
    [
      'AFTER active: payment cleared stays active',
      state({ status: 'ACTIVE', pendingReason: null, billTiming: 'AFTER', paymentCleared: false }),
      { type: 'payment_cleared' },
      { status: 'ACTIVE', paymentCleared: true },
    ],
  ])('%s', (_name, from, event, expected) => {
    expect(transition(from, event)).toMatchObject(expected);
  });

  test.each<[string, LifecycleState, LifecycleEvent, string]>([
    [
      'activate unpaid',
      state({ paymentCleared: false, pendingReason: 'awaiting_payment' }),
      { type: 'activate' },
      'PAYMENT_NOT_CLEARED',
    ],
    [
      'activate unassigned',
      state({ doctorId: null, pendingReason: 'awaiting_doctor' }),
      { type: 'activate' },
      'DOCTOR_NOT_ASSIGNED',
    ],
    [
      'activate active',
      state({ status: 'ACTIVE', pendingReason: null }),
      { type: 'activate' },
      'INVALID_TRANSITION',
    ],
    ['close pending', state(), { type: 'close' }, 'INVALID_TRANSITION'],
    [
      'close closed',
      state({ status: 'CLOSED', pendingReason: null }),
      { type: 'close' },
      'INVALID_TRANSITION',
    ],
    ['claim assigned', state(), { type: 'claim', doctorId: 'doc-b' }, 'ALREADY_ASSIGNED'],
    [
      'claim closed',
      state({ status: 'CLOSED', pendingReason: null }),
      { type: 'claim', doctorId: 'doc-b' },
      'INVALID_TRANSITION',
    ],
    [
      'cancel closed',
      state({ status: 'CLOSED', pendingReason: null }),
      { type: 'cancel' },
      'INVALID_TRANSITION',
    ],
    [
      'cancel cancelled',
      state({ status: 'CANCELLED', pendingReason: null }),
      { type: 'cancel' },
      'INVALID_TRANSITION',
    ],
    [
      'payment on closed',
      state({ status: 'CLOSED', pendingReason: null }),
      { type: 'payment_cleared' },
      'INVALID_TRANSITION',
    ],
  ])('refused: %s', (_name, from, event, code) => {
    let err: unknown;
    try {
      transition(from, event);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    expect((err as AppError).status).toBe(409);
  });
});

describe('canRead', () => {
  const c = { patientId: 'pat-1', doctorId: DOC, status: 'PENDING' as const };
  test.each([
    [{ userId: 'pat-1', role: 'patient' as const }, c, true],
    [{ userId: 'pat-2', role: 'patient' as const }, c, false],
    [{ userId: DOC, role: 'clinician' as const }, c, true],
    [{ userId: 'doc-b', role: 'clinician' as const }, c, false],
    [{ userId: 'doc-b', role: 'clinician' as const }, { ...c, doctorId: null }, true],
    [{ userId: 'staff-1', role: 'staff' as const }, c, false],
    [{ userId: 'admin-1', role: 'admin' as const }, c, true],
  ])('%o reads %o: %s', (actor, view, expected) => {
    expect(canRead(actor, view)).toBe(expected);
  });
});

describe('pickDoctor, shiftLabel, toMajorUnits', () => {
  test.each<[string[], Array<[string, number]>, string | null]>([
    [[], [], null],
    [['b', 'a'], [], 'a'],
    [
      ['a', 'b'],
      [
        ['a', 2],
        ['b', 1],
      ],
      'b',
    ],
    [
      ['a', 'b', 'c'],
      [
        ['a', 1],
        ['b', 1],
        ['c', 3],
      ],
      'a',
    ],
  ])('on shift %o with load %o -> %s', (onShift, load, expected) => {
    expect(pickDoctor(onShift, new Map(load))).toBe(expected);
  });

  test.each([
    ['2030-01-07T06:00:00Z', 'Asia/Kolkata', 'morning'],
    ['2030-01-07T13:00:00Z', 'Asia/Kolkata', 'evening'],
    ['2030-01-07T13:00:00Z', 'Europe/London', 'afternoon'],
    ['2030-01-07T23:00:00Z', 'Europe/London', 'night'],
  ])('%s in %s is %s', (at, zone, label) => {
    expect(shiftLabel(new Date(at), zone)).toBe(label);
  });

  test.each([
    [29_900, 'INR', 299],
    [29_950, 'INR', 299.5],
    [500, 'JPY', 500],
  ])('%i %s minor is %d major', (minor, currency, major) => {
    expect(toMajorUnits(minor, currency)).toBe(major);
  });
});
