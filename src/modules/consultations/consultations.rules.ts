import { DateTime } from 'luxon';
import type { Actor } from '../../platform/auth.js';
import { AppError, Errors } from '../../platform/errors.js';
import type { CONSULTATION_STATUSES, PENDING_REASONS } from './consultations.table.js';

export type ConsultationStatus = (typeof CONSULTATION_STATUSES)[number];
export type PendingReason = (typeof PENDING_REASONS)[number];

/** What the transition function needs to know about a consultation. */
export type LifecycleState = {
  status: ConsultationStatus;
  pendingReason: PendingReason | null;
  doctorId: string | null;
  billTiming: 'BEFORE' | 'AFTER';
  /** Money received and not refunded. */
  paymentCleared: boolean;
};

export type LifecycleEvent =
  | { type: 'payment_cleared' }
  | { type: 'claim'; doctorId: string }
  | { type: 'activate' }
  | { type: 'close' }
  | { type: 'cancel' };

export type LifecycleResult = {
  status: ConsultationStatus;
  pendingReason: PendingReason | null;
  doctorId: string | null;
  paymentCleared: boolean;
};

const invalid = (from: LifecycleState, event: LifecycleEvent['type']) =>
  Errors.conflict(
    'INVALID_TRANSITION',
    `A ${from.status} consultation cannot ${event.replace('_', ' ')}${from.status === 'CLOSED' ? ': it is closed and read-only' : ''}.`,
  );

/** Why a PENDING consultation waits, from who has it and whether it is paid for. */
export function pendingReasonFor(s: {
  doctorId: string | null;
  paymentCleared: boolean;
  billTiming: string;
}) {
  if (!s.paymentCleared && s.billTiming === 'BEFORE') return 'awaiting_payment' as const;
  return s.doctorId ? ('doctor_review' as const) : ('awaiting_doctor' as const);
}

/**
 * The one consultation state machine: `PENDING -> ACTIVE -> CLOSED`, `PENDING | ACTIVE -> CANCELLED`.
 * PENDING carries why it waits. The database trigger `consultations_guard` mirrors the moves.
 */
export function transition(from: LifecycleState, event: LifecycleEvent): LifecycleResult {
  const base = {
    status: from.status,
    pendingReason: from.pendingReason,
    doctorId: from.doctorId,
    paymentCleared: from.paymentCleared,
  };
  switch (event.type) {
    case 'payment_cleared': {
      if (from.status === 'CLOSED' || from.status === 'CANCELLED') throw invalid(from, event.type);
      const next = { ...base, paymentCleared: true };
      return from.status === 'PENDING'
        ? { ...next, pendingReason: pendingReasonFor({ ...next, billTiming: from.billTiming }) }
        : next;
    }
    case 'claim': {
      if (from.status !== 'PENDING' && from.status !== 'ACTIVE') throw invalid(from, event.type);
      if (from.doctorId)
        throw Errors.conflict('ALREADY_ASSIGNED', 'Another doctor has already taken this consultation.');
      const next = { ...base, doctorId: event.doctorId };
      return from.status === 'PENDING'
        ? { ...next, pendingReason: pendingReasonFor({ ...next, billTiming: from.billTiming }) }
        : next;
    }
    case 'activate': {
      if (from.status !== 'PENDING') throw invalid(from, event.type);
      if (!from.paymentCleared)
        throw Errors.conflict(
          'PAYMENT_NOT_CLEARED',
          'The payment for this consultation has not been cleared.',
        );
      if (!from.doctorId)
        throw Errors.conflict('DOCTOR_NOT_ASSIGNED', 'Claim the consultation before starting it.');
      return { ...base, status: 'ACTIVE', pendingReason: null };
    }
    case 'close': {
      if (from.status !== 'ACTIVE') throw invalid(from, event.type);
      if (!from.doctorId)
        throw Errors.conflict('DOCTOR_NOT_ASSIGNED', 'Claim the consultation before closing it.');
      return { ...base, status: 'CLOSED', pendingReason: null };
    }
    case 'cancel': {
      if (from.status !== 'PENDING' && from.status !== 'ACTIVE') throw invalid(from, event.type);
      return { ...base, status: 'CANCELLED', pendingReason: null };
    }
  }
}

export type AccessView = { patientId: string; doctorId: string | null; status: ConsultationStatus };

/**
 * Who may read a consultation at all (anyone else gets a 404, as if it did not exist): the patient,
 * the assigned doctor, any doctor while it is unassigned, admins.
 */
export function canRead(actor: Pick<Actor, 'userId' | 'role'>, c: AccessView): boolean {
  if (actor.role === 'admin') return true;
  if (actor.role === 'patient') return c.patientId === actor.userId;
  if (actor.role === 'clinician') return c.doctorId === null || c.doctorId === actor.userId;
  return false;
}

/** Only the assigned doctor acts on an assigned consultation; notes only while ACTIVE. */
export function assertCanWriteNotes(actor: Pick<Actor, 'userId' | 'role'>, c: AccessView): void {
  if (actor.role !== 'clinician' || c.doctorId !== actor.userId)
    throw Errors.forbidden('NOT_ASSIGNED_DOCTOR', 'Only the assigned doctor can write notes.');
  if (c.status !== 'ACTIVE')
    throw Errors.conflict(
      'CONSULTATION_NOT_ACTIVE',
      c.status === 'CLOSED'
        ? 'This consultation is closed and read-only.'
        : 'Notes can be written only while the consultation is active.',
    );
}

export function assertAssignedDoctor(actor: Pick<Actor, 'userId' | 'role'>, c: AccessView): void {
  if (actor.role !== 'clinician' || c.doctorId !== actor.userId)
    throw Errors.forbidden('NOT_ASSIGNED_DOCTOR', 'Only the assigned doctor can do this.');
}

/**
 * The least-loaded doctor among those on shift, ties broken by id so the choice is repeatable;
 * null when nobody is on shift.
 */
export function pickDoctor(onShift: readonly string[], load: ReadonlyMap<string, number>): string | null {
  let best: string | null = null;
  for (const id of [...onShift].sort()) {
    if (best === null || (load.get(id) ?? 0) < (load.get(best) ?? 0)) best = id;
  }
  return best;
}

/** Seed 000's `shift` label: the part of the doctor's day it is now, in their zone. */
export function shiftLabel(now: Date, zone: string): 'morning' | 'afternoon' | 'evening' | 'night' {
  const hour = DateTime.fromJSDate(now, { zone }).hour;
  if (hour >= 5 && hour < 12) return 'morning';
  if (hour >= 12 && hour < 17) return 'afternoon';
  if (hour >= 17 && hour < 22) return 'evening';
  return 'night';
}

/** Seed 000 shows `amount: 299` for INR 299.00: minor units to major in the currency's own exponent. */
export function toMajorUnits(amountMinor: number, currency: string): number {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return amountMinor / 10 ** digits;
}

/** The UTC bounds of one calendar day in a zone. */
export function dayBounds(date: string, zone: string): { from: Date; to: Date } {
  const start = DateTime.fromISO(date, { zone }).startOf('day');
  if (!start.isValid)
    throw Errors.validation('Not a valid date.', [{ path: 'query.date', message: 'must be YYYY-MM-DD' }]);
  return { from: start.toJSDate(), to: start.plus({ days: 1 }).toJSDate() };
}

export const isFinal = (status: ConsultationStatus) => status === 'CLOSED' || status === 'CANCELLED';

export const clinicalSessionExpired = () =>
  new AppError(
    410,
    'CLINICAL_SESSION_EXPIRED',
    'This clinical session has expired; its payment is refunded.',
  );
