import type { Platform } from '../../platform/module.js';
import type { CatalogService } from '../catalog/index.js';
import type { IdentityService } from '../identity/index.js';
import type { MessagingService } from '../messaging/index.js';
import type {
  PayableHandlers,
  PaymentForHandler,
  PaymentsService,
  RefundListener,
} from '../payments/index.js';

/** What billing uses of payments: its public types, narrowed (docs/module-contracts.md). */
export type PaymentForBilling = PaymentForHandler;
export type BillingPayableHandlers = PayableHandlers;
export type BillingRefundListener = RefundListener;
export type BillingPaymentsPort = Pick<
  PaymentsService,
  | 'registerPayable'
  | 'onRefunded'
  | 'addToReconciliation'
  | 'preparePayment'
  | 'openCheckout'
  | 'requestRefund'
  | 'listPaidPayables'
>;

/** What billing uses of catalog (plans and the patient's plan record): its public type, narrowed. */
export type BillingCatalogPort = Pick<CatalogService, 'getPlan' | 'within' | 'recordSubscription'>;
export type PlanRow = NonNullable<Awaited<ReturnType<CatalogService['getPlan']>>>;

/** Messaging's notify (billing sends `session_low_credits`). */
export type BillingNotify = MessagingService['notify'];

export type BillingDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow'> & {
  payments: BillingPaymentsPort;
  catalog: BillingCatalogPort;
  notify?: BillingNotify;
  getUser?: IdentityService['getUser'];
};
