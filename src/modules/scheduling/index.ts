import type { AuthGuard } from '../../platform/auth.js';
import type { AppModule } from '../../platform/module.js';
import { schedulingRoutes } from './scheduling.routes.js';
import { seedSchedulingDemo } from './scheduling.seed.js';
import {
  createSchedulingService,
  type SchedulingDeps,
  type SchedulingService,
} from './scheduling.service.js';

export type { Mode, Occupied } from './scheduling.rules.js';
export type { OccupancyPort, SchedulingService, SlotView } from './scheduling.service.js';
export type { NextSlot, NextSlotFilter, OccupancyOfPort } from './scheduling.soonest.js';

export type SchedulingModule = AppModule & { service: SchedulingService };

/**
 * Weekly availability rules, time off, on-call shifts and slot search. Slot status comes from
 * booking through the `occupancy` port (late-bound in the composition root).
 */
export function createSchedulingModule(deps: SchedulingDeps & { auth: AuthGuard }): SchedulingModule {
  const service = createSchedulingService(deps);
  return {
    name: 'scheduling',
    service,
    routes: schedulingRoutes({ auth: deps.auth, service }),
    seedDemo: () => seedSchedulingDemo({ ...deps, service }),
  };
}
