import { AppError, Errors } from '../../platform/errors.js';

export const slotUnavailable = () =>
  Errors.conflict('SLOT_UNAVAILABLE', 'That slot is no longer available; choose another one.');
export const slotNotFound = () =>
  new AppError(404, 'SLOT_NOT_FOUND', 'The clinician does not offer that slot in that mode.');

/** A start further ahead than BOOKING_HORIZON_DAYS cannot be held or moved to. */
export function assertWithinHorizon(startAt: Date, now: Date, horizonDays: number): void {
  if (startAt.getTime() - now.getTime() > horizonDays * 86_400_000)
    throw new AppError(
      400,
      'BEYOND_BOOKING_HORIZON',
      `Appointments can be booked at most ${horizonDays} days ahead.`,
    );
}
