import type { AuthGuard } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';
import type { Money } from '../../platform/money.js';
import type { PaymentsService } from '../payments/index.js';

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

export type { CheckoutInfo, PayableHandlers, PaymentForHandler, PaymentSummary } from '../payments/index.js';
/** What consultations uses of payments: its public type, narrowed (docs/module-contracts.md). */
export type PaymentsPort = Pick<
  PaymentsService,
  'registerPayable' | 'preparePayment' | 'openCheckout' | 'verifyClientCallback' | 'requestRefund' | 'getById'
>;

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
