import type { AuthGuard } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';
import type { Money } from '../../platform/money.js';
import type { OccupancyEvents } from './booking.occupancy.js';

/**
 * What booking uses of other modules' services, as docs/module-contracts.md states them. The
 * composition root passes the real services; TypeScript checks there that they fit.
 */
export type Mode = 'online' | 'in_person';

export type BookingTemplate =
  | 'appointment_confirmed'
  | 'payment_received'
  | 'appointment_reminder'
  | 'meet_link'
  | 'appointment_cancelled'
  | 'doctor_new_booking'
  | 'admin_new_booking';

export type MessagingPort = {
  notify(
    tx: Tx,
    msg: {
      template: BookingTemplate;
      vars: Record<string, string>;
      recipient: { userId?: string; phone?: string; email?: string };
      idempotencyKey: string;
    },
  ): Promise<{ notificationIds: string[] }>;
};

export type VideoPort = {
  requestMeeting(
    tx: Tx,
    req: {
      appointmentId: string;
      startsAt: Date;
      endsAt: Date;
      title: string;
      patientUserId: string;
      clinicianUserId: string;
    },
  ): Promise<void>;
  findForAppointment(appointmentId: string): Promise<{ joinUrl: string | null; status: string } | null>;
  rescheduleMeeting(tx: Tx, req: { appointmentId: string; startsAt: Date; endsAt: Date }): Promise<void>;
  cancelMeeting(tx: Tx, appointmentId: string): Promise<void>;
};

export type UserSummary = { id: string; fullName: string | null; role: string; phone: string };
export type IdentityPort = {
  getUser(id: string): Promise<UserSummary | null>;
  findUserByPhone(phone: string): Promise<{ id: string } | null>;
  listUsersByRole(role: 'admin'): Promise<Array<{ id: string }>>;
};

export type PaymentForHandler = {
  id: string;
  payableKind: string;
  payableId: string;
  patientId: string;
  amountMinor: number;
  currency: string;
  status: string;
};

export type PayableHandlers = {
  onSucceeded(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onFailed(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onExpired(tx: Tx, payment: PaymentForHandler): Promise<void>;
  onLate(tx: Tx, payment: PaymentForHandler): Promise<'fulfilled' | 'refund'>;
  describe?(payableId: string): Promise<{ state: string; paid: boolean } | null>;
};

export type CheckoutInfo = {
  paymentId: string;
  provider: string;
  orderId: string;
  amount: number;
  currency: string;
  keyId?: string | null;
  checkoutUrl?: string | null;
  expiresAt: Date | string;
};

export type PaymentsPort = {
  registerPayable(kind: 'appointment', handlers: PayableHandlers): void;
  preparePayment(
    tx: Tx,
    req: {
      payableKind: 'appointment';
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
  verifyClientCallback(
    req: {
      provider: string;
      orderId: string;
      paymentId: string;
      signature: string;
      payableKind: 'appointment';
      payableId: string;
    },
    opts: { allowPending: true },
  ): Promise<{ awaiting: 'capture' | null }>;
  requestRefund(
    tx: Tx,
    req: { paymentId: string; amount?: number; reason: string; idempotencyKey: string },
  ): Promise<{ refundId: string; amount: number; status: string }>;
  refundRemainder(
    tx: Tx,
    req: { paymentId: string; reason: string; idempotencyKey: string },
  ): Promise<{ refundId: string; amount: number; status: string } | null>;
  getForPayable(kind: 'appointment', id: string): Promise<{ status: string } | null>;
};

export type CentreInfo = { id: string; name: string; city: string; address: string; timeZone: string };
export type ClinicianInfo = {
  id: string;
  fullName: string;
  specialization: string;
  timeZone: string;
  fee: Money;
  modes: readonly string[];
  centres: readonly CentreInfo[];
};

export type CatalogPort = {
  getClinician(id: string): Promise<ClinicianInfo | null>;
  planPolicyFor(
    patientId: string,
    clinicianId: string,
  ): Promise<{ planCode: string; policy: 'pay' | 'free' | 'refuse' }>;
  recordRelationship(
    tx: Tx,
    rel: { clinicianId: string; patientId: string; source: 'appointment' | 'admin' },
  ): Promise<unknown>;
};

export type SchedulingPort = {
  findSlot(q: {
    clinicianId: string;
    startAt: Date;
    mode: Mode;
  }): Promise<{ startAt: Date; endAt: Date; mode: string; centreId: string | null } | null>;
  listSlots(
    clinicianId: string,
    q: { from?: string; to?: string; mode?: Mode },
  ): Promise<{ slots: Array<{ startAt: string; status: string }> }>;
};

/** Billing's prepaid earnings (optional until wired): escrow on payment, posted on completion, voided on cancel. */
export type BillingPort = {
  prepaidPaid(
    tx: Tx,
    p: {
      payableKind: 'appointment';
      payableId: string;
      patientId: string;
      paymentId: string;
      clinicianId: string;
      amountMinor: number;
      currency: string;
    },
  ): Promise<void>;
  postPrepaid(tx: Tx, p: { payableKind: 'appointment'; payableId: string }): Promise<boolean>;
  cancelPrepaid(
    tx: Tx,
    p: { payableKind: 'appointment'; payableId: string; patientId: string },
  ): Promise<boolean>;
};

export type BookingDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow'> & {
  auth: AuthGuard;
  messaging: MessagingPort;
  /** Optional until the video module is wired: without it online appointments get no meeting link. */
  video?: VideoPort;
  identity: IdentityPort;
  payments: PaymentsPort;
  catalog: CatalogPort;
  scheduling: SchedulingPort;
  occupancy: OccupancyEvents;
  billing?: BillingPort;
};
