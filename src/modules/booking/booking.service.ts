import type { Tx } from '../../platform/db/uow.js';
import { makeChanges } from './booking.changes.js';
import { bookingEffects } from './booking.effects.js';
import { makeInitiate } from './booking.initiate.js';
import { makePaymentHandlers } from './booking.payment.js';
import type { BookingDeps } from './booking.ports.js';
import { makeQueries } from './booking.queries.js';
import { appointmentsRepository } from './booking.repository.js';

/** Booking's use cases, split by file; this only wires them together. */
export function makeBookingService(deps: BookingDeps) {
  const effects = bookingEffects(deps);
  const payment = makePaymentHandlers(deps, effects);
  const changes = makeChanges(deps, effects);
  const queries = makeQueries(deps);

  return {
    initiateBooking: makeInitiate(deps, effects),
    confirmBooking: payment.confirmBooking,
    /** Handlers for payments' `registerPayable('appointment', ...)`. */
    payableHandlers: payment.handlers,
    ...changes,
    ...queries,

    /** Video's `onReady` callback, inside its job's transaction: tell the patient the link once. */
    async onMeetingReady(tx: Tx, meeting: { appointmentId: string; joinUrl: string }): Promise<void> {
      const a = await appointmentsRepository(tx).findById(meeting.appointmentId);
      if (a?.status !== 'CONFIRMED') return;
      await effects.meetLink(tx, a, meeting.joinUrl);
    },
  };
}

export type BookingService = ReturnType<typeof makeBookingService>;
