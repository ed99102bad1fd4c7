import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';
import type { BillingService } from '../billing/index.js';
import type { BookingService } from '../booking/index.js';
import type { ConsultationForSession } from '../consultations/index.js';
import type { IdentityService } from '../identity/index.js';
import type { MessagingService } from '../messaging/index.js';

export type CreditUnit = 'text' | 'call';

/** billing.service, the part sessions uses: its public type, narrowed (docs/module-contracts.md). */
export type SessionsBillingPort = Pick<
  BillingService,
  'creditsAvailable' | 'chargeBlock' | 'chargeBlocks' | 'postPrepaid' | 'fundPrepaid'
>;

/** An appointment as a session needs it (booking provides it; late-bound in the composition root). */
export type SessionAppointment = NonNullable<Awaited<ReturnType<BookingService['findForSession']>>>;
export type AppointmentLookup = (id: string) => Promise<SessionAppointment | null>;

/** The consultations module's side: a consultation a session can run on (its public type). */
export type SessionConsultation = ConsultationForSession;
export type ConsultationLookup = (id: string) => Promise<SessionConsultation | null>;

/** Messaging's notify (sessions sends `session_message` and `session_low_credits`). */
export type SessionsNotify = MessagingService['notify'];

export type SessionsDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow'> & {
  billing: SessionsBillingPort;
  notify: SessionsNotify;
  getUser: IdentityService['getUser'];
  /** The same lookup on the caller's transaction (no pool connection inside a unit of work). */
  getUserIn: (tx: Tx, id: string) => ReturnType<IdentityService['getUser']>;
  /** Late-bound: booking is built after sessions. */
  getAppointment: AppointmentLookup;
  /** Late-bound: consultations is built after sessions. */
  getConsultation: ConsultationLookup;
};
