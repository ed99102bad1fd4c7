import type { AuthGuard } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';
import type { BillingService } from '../billing/index.js';
import type { CatalogService } from '../catalog/index.js';
import type { IdentityService } from '../identity/index.js';
import type { MessagingService } from '../messaging/index.js';
import type { PaymentsService } from '../payments/index.js';
import type { SchedulingService } from '../scheduling/index.js';
import type { VideoService } from '../video/index.js';
import { makeChanges } from './booking.changes.js';
import { bookingEffects } from './booking.effects.js';
import { makeInitiate } from './booking.initiate.js';
import type { OccupancyEvents } from './booking.occupancy.js';
import { makePaymentHandlers, makePaymentReads } from './booking.payment.js';
import { makeQueries } from './booking.queries.js';
import { appointmentsRepository } from './booking.repository.js';

/**
 * What booking uses of other modules: each module's public service type (from its index.ts),
 * narrowed with Pick<>. Every one is required. Code that runs inside a unit of work narrows
 * further to the transaction-bound parts (`within(tx)`, functions taking `tx`).
 */
export type BookingDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow'> & {
  auth: AuthGuard;
  messaging: Pick<MessagingService, 'notify'>;
  video: Pick<
    VideoService,
    'requestMeeting' | 'rescheduleMeeting' | 'cancelMeeting' | 'findForAppointment' | 'within'
  >;
  identity: Pick<IdentityService, 'getUser' | 'findUserByPhone' | 'within'>;
  payments: Pick<
    PaymentsService,
    | 'registerPayable'
    | 'preparePayment'
    | 'openCheckout'
    | 'verifyClientCallback'
    | 'refundRemainder'
    | 'getForPayable'
    | 'recheckOpenPayment'
    | 'closeCheckout'
  >;
  catalog: Pick<
    CatalogService,
    'getClinician' | 'planPolicyFor' | 'bookingFacts' | 'recordRelationship' | 'within'
  >;
  scheduling: Pick<SchedulingService, 'findSlot' | 'listSlots' | 'slotScheduleRead'>;
  occupancy: OccupancyEvents;
  /** Prepaid earnings: escrow on payment, posted by an in-person completion, voided by a cancellation. */
  billing: Pick<BillingService, 'prepaidPaid' | 'postPrepaid' | 'cancelPrepaid' | 'applyNoShow'>;
};

/** Booking's use cases, split by file; this only wires them together. */
export function makeBookingService(deps: BookingDeps) {
  const effects = bookingEffects(deps);
  const handlers = makePaymentHandlers(deps, effects);
  const paymentReads = makePaymentReads(deps);
  const changes = makeChanges(deps, effects);
  const queries = makeQueries(deps);

  return {
    initiateBooking: makeInitiate(deps, effects),
    confirmBooking: paymentReads.confirmBooking,
    /** Handlers for payments' `registerPayable('appointment', ...)`. */
    payableHandlers: { ...handlers, describe: paymentReads.describe },
    ...changes,
    ...queries,

    /** Video's `onReady` callback, inside its job's transaction: tell the patient the link once. */
    async onMeetingReady(tx: Tx, meeting: { appointmentId: string; joinUrl: string }): Promise<void> {
      const a = await appointmentsRepository(tx.db).findById(meeting.appointmentId);
      if (a?.status !== 'CONFIRMED') return;
      await effects.meetLink(tx, a, meeting.joinUrl);
    },
  };
}

export type BookingService = ReturnType<typeof makeBookingService>;
