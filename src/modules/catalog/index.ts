import type { AuthGuard } from '../../platform/auth.js';
import type { AppModule } from '../../platform/module.js';
import { catalogRoutes, type NextSlotsPort } from './catalog.routes.js';
import { seedCatalogDemo } from './catalog.seed.js';
import { type CatalogDeps, type CatalogService, createCatalogService } from './catalog.service.js';

export type { CatalogIdentity, ClinicianProfile } from './catalog.ports.js';
export type { NextSlotsPort } from './catalog.routes.js';
export type { BookingPolicy, PlanCode } from './catalog.rules.js';
export type { CatalogService, Centre, Clinician, ClinicianFilter, Mode } from './catalog.service.js';

export type CatalogModule = AppModule & { service: CatalogService };

/** Centres, clinicians' listings (modes, fees, centres), plans, patient plans and doctor–patient relationships. */
export function createCatalogModule(
  deps: CatalogDeps & { auth: AuthGuard; nextSlots: NextSlotsPort },
): CatalogModule {
  const service = createCatalogService(deps);
  return {
    name: 'catalog',
    service,
    routes: catalogRoutes({
      auth: deps.auth,
      service,
      nextSlots: deps.nextSlots,
      horizonDays: deps.config.booking.horizonDays,
    }),
    seedDemo: () => seedCatalogDemo({ ...deps, service }),
  };
}
export {
  type CatalogServiceEntry,
  createServiceCatalogModule,
  type ServiceCatalog,
} from './catalog.services.js';
