import { AppError, Errors } from '../../platform/errors.js';

export const slotUnavailable = () =>
  Errors.conflict('SLOT_UNAVAILABLE', 'That slot is no longer available; choose another one.');
export const slotNotFound = () =>
  new AppError(404, 'SLOT_NOT_FOUND', 'The clinician does not offer that slot in that mode.');
