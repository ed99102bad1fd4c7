import type { AppModule } from '../../platform/module.js';
import { bookingJobs } from './booking.jobs.js';
import { bookingRoutes } from './booking.routes.js';
import { seedBookingDemo } from './booking.seed.js';
import { type BookingDeps, type BookingService, makeBookingService } from './booking.service.js';

export { createOccupancyEvents, type OccupancyEvents, type WatchOccupancy } from './booking.occupancy.js';
export type { BookingDeps, BookingService } from './booking.service.js';

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
