import type { AuthGuard } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';
import type { Money } from '../../platform/money.js';

/** What consultations uses of other modules, as docs/module-contracts.md states it. */

export type ConsultationTemplate = 'consultation_assigned' | 'consultation_queued';
export type MessagingPort = {
  notify(
    tx: Tx,
    msg: {
      template: ConsultationTemplate;
      vars: Record<string, string>;
      recipient: { userId?: string };
      idempotencyKey: string;
      channels?: Array<'in_app' | 'whatsapp' | 'sms' | 'email' | 'console'>;
    },
  ): Promise<{ notificationIds: string[] }>;
};

type IdentityReads = {
  getUser(
    id: string,
  ): Promise<{ id: string; fullName: string | null; role: string; isActive?: boolean } | null>;
  getClinician(
    id: string,
  ): Promise<{ id: string; fullName: string | null; clinician: { timeZone: string } } | null>;
  listUsersByRole(role: 'admin' | 'clinician'): Promise<Array<{ id: string }>>;
};
export type IdentityPort = IdentityReads & {
  /** The same reads on the caller's transaction (no second connection while one is open). */
  within(tx: Pick<Tx, 'db'>): IdentityReads;
};

export type PaymentForHandler = { id: string; payableKind: string; payableId: string; status: string };
export type PayableHandlers = {
  onSucceeded(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onFailed(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onExpired(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onLate(tx: Tx, payment: PaymentForHandler): Promise<'fulfilled' | 'refund'>;
  describe?(payableId: string): Promise<{ state: string; paid: boolean } | null>;
};
export type PaymentSummary = {
  id: string;
  provider: string;
  status: string;
  paymentId: string | null;
  orderId: string | null;
  amount: Money;
  refunded: Money;
  refundPending: Money;
  expiresAt: Date;
  paidAt: Date | null;
};
export type CheckoutInfo = {
  paymentId: string;
  provider: string;
  orderId: string;
  amount: number;
  currency: string;
  keyId?: string;
  checkoutUrl?: string;
  expiresAt: Date;
};
export type PaymentsPort = {
  registerPayable(kind: 'consultation' | 'visit', handlers: PayableHandlers): void;
  preparePayment(
    tx: Tx,
    req: {
      payableKind: 'consultation' | 'visit';
      payableId: string;
      patientId: string;
      amount: Money;
      provider?: string;
      expiresAt: Date;
      description: string;
      idempotencyKey: string;
    },
  ): Promise<{ paymentId: string }>;
  openCheckout(paymentId: string): Promise<CheckoutInfo>;
  verifyClientCallback(req: {
    provider: string;
    orderId: string;
    paymentId: string;
    signature: string;
    payableKind: string;
    payableId: string;
  }): Promise<unknown>;
  requestRefund(
    tx: Tx,
    req: { paymentId: string; amount?: number; reason: string; idempotencyKey: string },
  ): Promise<{ refundId: string; amount: number; status: string }>;
  getById(paymentId: string): Promise<PaymentSummary | null>;
};

export type ServiceEntry = {
  code: string;
  name: string;
  workflowType: 'GOPD_CONSULT' | 'ONLINE_CHAT' | 'ONLINE_VIDEO' | 'ONLINE_EMERGENCY';
  billTiming: 'BEFORE' | 'AFTER';
  autoAssignDoctorId: string | null;
  isActive: boolean;
  price: Money;
};
export type ServiceCatalogPort = {
  /** `on`: read on the caller's transaction. */
  get(code: string, on?: Pick<Tx, 'db'>): Promise<ServiceEntry | null>;
  findActiveByWorkflow(workflowType: ServiceEntry['workflowType']): Promise<ServiceEntry | null>;
  create(
    entry: Omit<ServiceEntry, 'autoAssignDoctorId'> & { autoAssignDoctorId?: string | null },
  ): Promise<ServiceEntry>;
};

export type SchedulingPort = {
  listOnCallClinicians(at?: Date): Promise<string[]>;
  replaceShifts(
    actor: { userId: string; role: 'admin'; sessionId: string },
    clinicianId: string,
    shifts: Array<{ weekday: number; startTime: string; endTime: string }>,
  ): Promise<unknown>;
};

export type ConsultationsDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow'> & {
  auth: AuthGuard;
  messaging: MessagingPort;
  identity: IdentityPort;
  payments: PaymentsPort;
  services: ServiceCatalogPort;
  scheduling: SchedulingPort;
};
