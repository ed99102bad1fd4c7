import type { Tx } from '../../platform/db/uow.js';
import type { Platform } from '../../platform/module.js';

export type CreditUnit = 'text' | 'call';

/** billing.service, the part sessions uses. */
export type SessionsBillingPort = {
  creditsAvailable(patientId: string, unit: CreditUnit, at: Date): Promise<number>;
  chargeBlock(
    tx: Tx,
    b: { sessionId: string; kind: CreditUnit; n: number; patientId: string; clinicianId: string; at: Date },
    now: Date,
  ): Promise<{ ok: true; remaining: number; subscriptionId: string } | { ok: false }>;
  chargeBlocks(
    tx: Tx,
    blocks: Array<{
      sessionId: string;
      kind: CreditUnit;
      n: number;
      patientId: string;
      clinicianId: string;
      at: Date;
    }>,
    now: Date,
  ): Promise<Array<{ ok: true; remaining: number; subscriptionId: string } | { ok: false }>>;
  postPrepaid(
    tx: Tx,
    p: { payableKind: 'appointment' | 'consultation'; payableId: string },
  ): Promise<boolean>;
};

/** An appointment as a session needs it (booking provides it; late-bound in the composition root). */
export type SessionAppointment = {
  id: string;
  patientId: string;
  clinicianId: string;
  status: string;
  mode: 'online' | 'in_person';
};
export type AppointmentLookup = (id: string) => Promise<SessionAppointment | null>;

/**
 * The consultations module's side (being built in parallel): a consultation a session can run on.
 * `paid`: prepaid (its payment sits in escrow with a pending earning); otherwise the session uses credits.
 */
export type SessionConsultation = {
  id: string;
  patientId: string;
  clinicianId: string | null;
  status: string;
  paid: boolean;
};
export type ConsultationLookup = (id: string) => Promise<SessionConsultation | null>;

export type SessionsNotify = (
  tx: Tx,
  req:
    | {
        template: 'session_message';
        vars: { senderName: string; sessionId: string; preview: string };
        recipient: { userId: string };
        idempotencyKey: string;
      }
    | {
        template: 'session_low_credits';
        vars: { patientName: string; remaining: string };
        recipient: { userId: string };
        idempotencyKey: string;
      },
) => Promise<unknown>;

export type SessionsDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'pool' | 'uow'> & {
  billing: SessionsBillingPort;
  notify: SessionsNotify;
  getUser: (id: string) => Promise<{ id: string; fullName: string | null; role: string } | null>;
  /** The same lookup on the caller's transaction (no pool connection inside a unit of work). */
  getUserIn: (tx: Tx, id: string) => Promise<{ id: string; fullName: string | null } | null>;
  /** Late-bound: booking is built after sessions. */
  getAppointment?: AppointmentLookup;
  /** Late-bound: absent until the consultations module is wired. */
  getConsultation?: ConsultationLookup;
};
