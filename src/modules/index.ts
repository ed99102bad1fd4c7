import type { AppModule, Platform } from '../platform/module.js';
import { createBillingModule } from './billing/index.js';
import { createBookingModule, createOccupancyEvents } from './booking/index.js';
import { createCatalogModule, createServiceCatalogModule } from './catalog/index.js';
import { createConsultationsModule } from './consultations/index.js';
import { createIdentityAuth, createIdentityModule, DEMO_PHONES } from './identity/index.js';
import { createMessagingModule } from './messaging/index.js';
import { createPaymentsModule } from './payments/index.js';
import {
  createSchedulingModule,
  type OccupancyOfPort,
  type OccupancyPort,
  type SchedulingService,
} from './scheduling/index.js';
import { type AppointmentLookup, type ConsultationLookup, createSessionsModule } from './sessions/index.js';
import { createVideoModule, type MeetingReadyHandler } from './video/index.js';

/**
 * The composition root of the domain: builds every module in dependency order and hands each
 * the services it needs from the ones before it. Order: messaging, video, identity, payments,
 * catalog, scheduling, booking.
 */
export function createModules(platform: Platform): AppModule[] {
  // Identity owns the guard (it checks each token's session is live); built first because every module needs it.
  const { signer, auth } = createIdentityAuth(platform);
  // Identity is built after messaging; the lookup runs only once both exist.
  const messaging = createMessagingModule({
    ...platform,
    auth,
    // Late-bound (identity is built next); reads on the caller's transaction, never the pool.
    lookupUser: (id, tx) => identity.service.within(tx).getUser(id),
  });
  // Booking, built later, sets this to hear when a meeting has its links (it then sends `meet_link`).
  let onMeetingReady: MeetingReadyHandler | undefined;
  const video = createVideoModule({
    ...platform,
    onReady: (tx, meeting) => wired(onMeetingReady, 'booking.onMeetingReady')(tx, meeting),
  });
  const identity = createIdentityModule({ ...platform, signer, auth, notifyOtp: messaging.service.notify });
  const payments = createPaymentsModule({
    ...platform,
    auth,
    messaging: messaging.service,
    identity: identity.service,
  });
  // The clinician search shows each one's next available slot: scheduling's read, built next.
  let nextSlots: SchedulingService['nextAvailableSlots'] | undefined;
  const catalog = createCatalogModule({
    ...platform,
    auth,
    identity: identity.service,
    nextSlots: (...a) => wired(nextSlots, 'scheduling.nextAvailableSlots')(...a),
  });
  // Booking is built after scheduling and provides slot occupancy (assigned below, before any request).
  let occupancy: OccupancyPort | undefined;
  let occupancyOf: OccupancyOfPort | undefined;
  const occupancyEvents = createOccupancyEvents(platform.listener);
  const scheduling = createSchedulingModule({
    ...platform,
    auth,
    catalog: catalog.service,
    occupancy: (...a) => wired(occupancy, 'booking.listOccupancy')(...a),
    occupancyOf: (...a) => wired(occupancyOf, 'booking.listOccupancyOf')(...a),
    watchOccupancy: occupancyEvents.watch,
  });
  nextSlots = scheduling.service.nextAvailableSlots;
  const billing = createBillingModule({
    ...platform,
    auth,
    payments: payments.service,
    catalog: catalog.service,
    notify: messaging.service.notify,
    getUser: identity.service.getUser,
    findUserByPhone: identity.service.findUserByPhone,
    demoPhones: DEMO_PHONES,
  });
  // Booking and consultations (built later) are looked up late.
  let getAppointment: AppointmentLookup | undefined;
  let getConsultation: ConsultationLookup | undefined;
  const sessions = createSessionsModule({
    ...platform,
    auth,
    billing: billing.service,
    notify: messaging.service.notify,
    getUser: identity.service.getUser,
    getUserIn: (tx, id) => identity.service.within(tx).getUser(id),
    getAppointment: (id) => wired(getAppointment, 'booking.findForSession')(id),
    getConsultation: (id) => wired(getConsultation, 'consultations.forSession')(id),
    findUserByPhone: identity.service.findUserByPhone,
    demoPhones: DEMO_PHONES,
  });
  const booking = createBookingModule({
    ...platform,
    auth,
    messaging: messaging.service,
    identity: identity.service,
    payments: payments.service,
    catalog: catalog.service,
    scheduling: scheduling.service,
    video: video.service,
    occupancy: occupancyEvents,
    billing: billing.service,
  });
  occupancy = booking.service.listOccupancy;
  occupancyOf = booking.service.listOccupancyOf;
  onMeetingReady = booking.service.onMeetingReady;
  getAppointment = booking.service.findForSession;
  const serviceCatalog = createServiceCatalogModule({ ...platform, auth, getUser: identity.service.getUser });
  const consultations = createConsultationsModule({
    ...platform,
    auth,
    messaging: messaging.service,
    identity: identity.service,
    payments: payments.service,
    services: serviceCatalog.service,
    scheduling: scheduling.service,
  });
  getConsultation = consultations.forSession;
  return [
    messaging,
    video,
    identity,
    payments,
    catalog,
    scheduling,
    billing,
    sessions,
    booking,
    serviceCatalog,
    consultations,
  ];
}

/** A late-bound dependency: called before the composition root assigned it is a wiring bug, never a no-op. */
function wired<F>(fn: F | undefined, name: string): F {
  if (!fn) throw new Error(`${name} is not wired yet`);
  return fn;
}
