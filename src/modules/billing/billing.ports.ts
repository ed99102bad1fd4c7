import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';
import type { Money } from '../../platform/money.js';

/** What billing uses of other modules (their index.ts types fit these; the composition root checks). */
export type PaymentForBilling = {
  id: string;
  payableKind: string;
  payableId: string;
  patientId: string;
  amountMinor: number;
  currency: string;
  status: string;
};

export type BillingPayableHandlers = {
  onSucceeded(tx: Tx, payment: PaymentForBilling): Promise<void>;
  onFailed(tx: Tx, payment: PaymentForBilling): Promise<void>;
  onExpired(tx: Tx, payment: PaymentForBilling): Promise<void>;
  onLate(tx: Tx, payment: PaymentForBilling): Promise<'fulfilled' | 'refund'>;
  describe?(payableId: string): Promise<{ state: string; paid: boolean } | null>;
};

export type BillingPaymentsPort = {
  registerPayable(kind: 'subscription', handlers: BillingPayableHandlers): void;
  preparePayment(
    tx: Tx,
    req: {
      payableKind: 'subscription';
      payableId: string;
      patientId: string;
      amount: Money;
      provider?: string;
      expiresAt: Date;
      description: string;
      idempotencyKey: string;
    },
  ): Promise<{ paymentId: string }>;
  openCheckout(paymentId: string): Promise<unknown>;
  requestRefund(
    tx: Tx,
    req: { paymentId: string; amount?: number; reason: string; idempotencyKey: string },
  ): Promise<unknown>;
};

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
