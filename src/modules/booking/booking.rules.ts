import { DateTime } from 'luxon';
import type { Role } from '../../platform/auth.js';
import { AppError, Errors } from '../../platform/errors.js';
import type { APPOINTMENT_STATUSES, BOOKING_SOURCES } from './booking.table.js';

export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];
export type BookingSource = (typeof BOOKING_SOURCES)[number];

export type AppointmentEvent =
  | 'pay' // money arrived while the hold was live
  | 'late_pay' // money arrived after the hold lapsed and the slot was still free
  | 'expire' // hold lapsed, payment failed, or checkout could not be opened
  | 'cancel'
  | 'complete'
  | 'no_show';

/**
 * The appointment state machine, in one place (architecture.md):
 * PENDING_PAYMENT -> CONFIRMED | EXPIRED | CANCELLED; CONFIRMED -> COMPLETED | NO_SHOW | CANCELLED.
 * The explicit late-payment path EXPIRED -> CONFIRMED exists only while the slot is still free
 * (the exclusion constraint decides). A NO_SHOW the job marked (awaiting review) may still be
 * completed by the clinician; the service checks that flag.
 */
const TRANSITIONS: Record<AppointmentStatus, Partial<Record<AppointmentEvent, AppointmentStatus>>> = {
  PENDING_PAYMENT: { pay: 'CONFIRMED', late_pay: 'CONFIRMED', expire: 'EXPIRED', cancel: 'CANCELLED' },
  CONFIRMED: { complete: 'COMPLETED', no_show: 'NO_SHOW', cancel: 'CANCELLED' },
  EXPIRED: { late_pay: 'CONFIRMED' },
  CANCELLED: {},
  COMPLETED: {},
  NO_SHOW: { complete: 'COMPLETED' },
};

export function nextStatus(from: AppointmentStatus, event: AppointmentEvent): AppointmentStatus | null {
  return TRANSITIONS[from][event] ?? null;
}

/** The next status, or a 409 the client can read when the appointment is not in a state that allows it. */
export function transition(from: AppointmentStatus, event: AppointmentEvent): AppointmentStatus {
  const to = nextStatus(from, event);
  if (!to)
    throw new AppError(409, 'INVALID_APPOINTMENT_STATE', `An appointment that is ${from} cannot ${event}.`, {
      currentStatus: from,
    });
  return to;
}

/**
 * Unpaid holds one patient may start in any 24 hours (security, issue 10): the live-hold cap alone
 * lets an account re-hold slots the moment its holds lapse, keeping a clinician's day blocked.
 */
export const MAX_UNPAID_HOLDS_PER_DAY = 10;
export const HOLD_QUOTA_WINDOW_MS = 24 * 3_600_000;
export const holdQuotaExceeded = (unpaidHoldsInWindow: number) =>
  unpaidHoldsInWindow >= MAX_UNPAID_HOLDS_PER_DAY;

type HoldLike = { status: AppointmentStatus; holdExpiresAt: Date | null; paymentOpen?: boolean };

/** A hold is live (payable by the patient) only before its expiry, whether or not a sweeper has marked it yet. */
export const isLiveHold = (a: HoldLike, now: Date) =>
  a.status === 'PENDING_PAYMENT' && a.holdExpiresAt !== null && a.holdExpiresAt.getTime() > now.getTime();

/**
 * A hold keeps its slot while live, and after its expiry while its payment is still open: the
 * expiry asks the gateway first, and money taken in time confirms it (issue 12).
 */
export const holdsSlot = (a: HoldLike, now: Date) =>
  isLiveHold(a, now) || (a.status === 'PENDING_PAYMENT' && a.paymentOpen === true);

/** The status a reader should see: a lapsed, unswept hold whose payment is settled reads as EXPIRED. */
export const effectiveStatus = (a: HoldLike, now: Date): AppointmentStatus =>
  a.status === 'PENDING_PAYMENT' && !holdsSlot(a, now) ? 'EXPIRED' : a.status;

/** How an appointment occupies its slot for slot search: held, booked, or not at all. */
export function occupancyOf(a: HoldLike, now: Date): 'held' | 'booked' | null {
  if (holdsSlot(a, now)) return 'held';
  if (a.status === 'CONFIRMED' || a.status === 'COMPLETED') return 'booked';
  return null;
}

/**
 * A patient may cancel or reschedule only while the start is at least `windowHours` away
 * (exactly `windowHours` away is still allowed; one millisecond less is not).
 */
export function patientMayChange(opts: { startsAt: Date; now: Date; windowHours: number }): boolean {
  return opts.startsAt.getTime() - opts.now.getTime() >= opts.windowHours * 3_600_000;
}

/** The reminder is due `hoursBefore` the start; null when that moment has already passed. */
export function remindAtFor(startsAt: Date, hoursBefore: number, now: Date): Date | null {
  const at = new Date(startsAt.getTime() - hoursBefore * 3_600_000);
  return at.getTime() > now.getTime() ? at : null;
}

/** When the no-show job may mark a still-CONFIRMED appointment: `afterMinutes` past its end. */
export const noShowDueBefore = (now: Date, afterMinutes: number) =>
  new Date(now.getTime() - afterMinutes * 60_000);

/** Who the booking is for and how it was made, from the caller's role. */
export function bookingParty(
  actor: { userId: string; role: Role },
  patientId: string | undefined,
): { patientId: string; source: BookingSource } {
  switch (actor.role) {
    case 'patient':
      if (patientId && patientId !== actor.userId)
        throw Errors.forbidden('FORBIDDEN', 'Patients book only for themselves.');
      return { patientId: actor.userId, source: 'WEB_PATIENT' };
    case 'staff':
    case 'admin':
      if (!patientId)
        throw Errors.validation('patientId is required when booking for a patient.', [
          { path: 'body.patientId', message: 'is required' },
        ]);
      return { patientId, source: actor.role === 'staff' ? 'FRONT_DESK' : 'ADMIN' };
    default:
      throw Errors.forbidden('FORBIDDEN', 'Clinicians cannot book appointments.');
  }
}

export type PlanPolicy = 'pay' | 'free' | 'refuse';

/**
 * Seed 001's policy: `none` pays or is refused by deployment setting; `vise` with a relationship
 * is free; everything else pays. Catalog answers for the plan; the deployment switch is applied
 * here too so a `none` patient is refused wherever REQUIRE_PLAN_FOR_BOOKING is on.
 */
export function bookingPolicy(
  plan: { planCode: string; policy: PlanPolicy },
  requirePlan: boolean,
): PlanPolicy {
  if (plan.policy === 'refuse') return 'refuse';
  if (plan.planCode === 'none' && requirePlan) return 'refuse';
  return plan.policy;
}

/** A start time as the recipient reads it, in the named IANA zone: `Mon 7 Jan 2030, 09:30 IST`. */
export const formatWhen = (at: Date, zone: string) =>
  DateTime.fromJSDate(at, { zone }).toFormat('ccc d LLL yyyy, HH:mm ZZZZ');

/** A local calendar day in a zone as a UTC half-open range; 23 or 25 hours long on DST change days. */
export function dayRange(day: string, zone: string): { from: Date; to: Date } {
  const start = DateTime.fromISO(day, { zone }).startOf('day');
  if (!start.isValid) throw Errors.validation(`${day} is not a valid date.`);
  return { from: start.toJSDate(), to: start.plus({ days: 1 }).toJSDate() };
}

/** The same instant, compared exactly (timestamps round-trip through PostgreSQL in microseconds). */
export const sameInstant = (a: Date | null, b: Date | null) =>
  a !== null && b !== null && a.getTime() === b.getTime();
