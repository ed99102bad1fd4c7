import type { Pool } from '../../platform/db/pool.js';
import type { AppModule } from '../../platform/module.js';
import { bookingJobs } from './booking.jobs.js';
import type { BookingDeps } from './booking.ports.js';
import { appointmentsRepository } from './booking.repository.js';
import { bookingRoutes } from './booking.routes.js';
import { seedBookingDemo } from './booking.seed.js';
import { type BookingService, makeBookingService } from './booking.service.js';

export type { BookingDeps } from './booking.ports.js';
export type { BookingService } from './booking.service.js';

export type Occupancy = (
  clinicianId: string,
  from: Date,
  to: Date,
  now: Date,
) => Promise<Array<{ startAt: Date; endAt: Date; status: 'held' | 'booked' }>>;

/**
 * The occupancy port for scheduling's slot search (held = live PENDING_PAYMENT, booked =
 * CONFIRMED/COMPLETED). It needs only the pool, so the composition root can hand it to
 * scheduling before booking itself is built; `service.listOccupancy` is the same query.
 */
export const bookingOccupancy =
  (pool: Pool): Occupancy =>
  (clinicianId, from, to, now) =>
    appointmentsRepository(pool).listOccupancy(clinicianId, from, to, now);

export function createBookingModule(deps: BookingDeps): AppModule & { service: BookingService } {
  const service = makeBookingService(deps);
  deps.payments.registerPayable('appointment', service.payableHandlers);
  return {
    name: 'booking',
    service,
    routes: bookingRoutes({ auth: deps.auth, clock: deps.clock, service }),
    jobs: bookingJobs(service),
    seedDemo: () => seedBookingDemo(deps, service),
  };
}
