import type { AuthGuard } from '../../platform/auth.js';
import type { Platform } from '../../platform/module.js';
import type { CatalogServiceEntry, ServiceCatalog } from '../catalog/index.js';
import type { IdentityService } from '../identity/index.js';
import type { MessagingService } from '../messaging/index.js';
import type { PaymentsService } from '../payments/index.js';
import type { SchedulingService } from '../scheduling/index.js';

/**
 * What consultations uses of other modules: each module's public type (its `index.ts`), narrowed
 * with Pick<> (docs/module-contracts.md). Every dependency is required.
 */

export type { CheckoutInfo, PayableHandlers, PaymentForHandler, PaymentSummary } from '../payments/index.js';

/** `consultation_assigned`, `consultation_queued` and `consultation_taken` (in-app, the live queue). */
export type MessagingPort = Pick<MessagingService, 'notify'>;
/** `within(tx)` reads on the caller's transaction (no second connection while one is open). */
export type IdentityPort = Pick<IdentityService, 'getUser' | 'getClinician' | 'listUsersByRole' | 'within'>;
export type PaymentsPort = Pick<
  PaymentsService,
  'registerPayable' | 'preparePayment' | 'openCheckout' | 'verifyClientCallback' | 'requestRefund' | 'getById'
>;
export type ServiceEntry = CatalogServiceEntry;
export type ServiceCatalogPort = Pick<ServiceCatalog, 'get' | 'findActiveByWorkflow' | 'create'>;
export type SchedulingPort = Pick<SchedulingService, 'listOnCallClinicians' | 'replaceShifts'>;

export type ConsultationsDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow'> & {
  auth: AuthGuard;
  messaging: MessagingPort;
  identity: IdentityPort;
  payments: PaymentsPort;
  services: ServiceCatalogPort;
  scheduling: SchedulingPort;
};
