import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';

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
>;

export type PlanRow = {
  code: string;
  name: string;
  priceMinor: number;
  periodDays: number;
  textCredits: number;
  callCredits: number;
  payoutPerBlockMinor: number;
};

export type BillingCatalogPort = {
  getPlan(code: string): Promise<PlanRow | null>;
  /** Reads on the caller's transaction, inside its unit of work. */
  within(tx: Pick<Tx, 'db'>): { getPlan(code: string): Promise<PlanRow | null> };
  recordSubscription(
    tx: Tx,
    input: { patientId: string; planCode: string; status: 'active' | 'expired'; periodEnd: Date },
  ): Promise<void>;
};

export type BillingNotify = (
  tx: Tx,
  req: {
    template: 'session_low_credits';
    vars: { patientName: string; remaining: string };
    recipient: { userId?: string };
    idempotencyKey: string;
    channels?: Array<'whatsapp' | 'sms' | 'email' | 'in_app' | 'console'>;
  },
) => Promise<unknown>;

export type BillingDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow'> & {
  payments: BillingPaymentsPort;
  catalog: BillingCatalogPort;
  notify?: BillingNotify;
  getUser?: (id: string) => Promise<{ fullName: string | null; role: string } | null>;
};
