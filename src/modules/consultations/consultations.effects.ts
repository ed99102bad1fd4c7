import { audit, type RequestMeta } from '../../platform/audit.js';
import type { Actor } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import type { ConsultationsDeps } from './consultations.ports.js';
import { type Consultation, consultationsRepository } from './consultations.repository.js';
import { pickDoctor } from './consultations.rules.js';

type Deps = Pick<ConsultationsDeps, 'messaging' | 'identity' | 'scheduling' | 'log'>;

export type AuditWho = { actor: Pick<Actor, 'userId' | 'role'> | null; meta?: RequestMeta };

/** A short, human reference for messages (never clinical text). */
export const consultationRef = (id: string) => `C-${id.slice(0, 8).toUpperCase()}`;

/** What a consultation's creation and assignment say and record, inside the caller's transaction. */
export function consultationEffects(deps: Deps) {
  return {
    /** Read before the transaction (no locks held while asking scheduling). */
    onShiftNow: (now: Date) => deps.scheduling.listOnCallClinicians(now),

    /** Least loaded of those on shift, counted under a lock so parallel creations spread out. */
    async chooseDoctor(tx: Tx, onShift: readonly string[]): Promise<string | null> {
      if (!onShift.length) return null;
      const repo = consultationsRepository(tx.db);
      await repo.lockAssignment();
      return pickDoctor(onShift, await repo.openLoad(onShift));
    },

    /**
     * Tells the assigned doctor (`consultation_assigned`), or, with nobody assigned, every doctor's
     * queue and the admins (`consultation_queued`, in-app: it reaches their live stream on commit).
     */
    async announce(tx: Tx, c: Consultation): Promise<void> {
      const identity = deps.identity.within(tx);
      const patientName = (await identity.getUser(c.patientId))?.fullName ?? 'Patient';
      const ref = consultationRef(c.id);
      if (c.doctorId) {
        const doctor = await identity.getClinician(c.doctorId);
        await deps.messaging.notify(tx, {
          template: 'consultation_assigned',
          vars: { clinicianName: doctor?.fullName ?? 'Doctor', patientName, consultationRef: ref },
          recipient: { userId: c.doctorId },
          idempotencyKey: `consultation:${c.id}:assigned:${c.doctorId}`,
        });
        return;
      }
      const doctors = await identity.listUsersByRole('clinician');
      const admins = await identity.listUsersByRole('admin');
      for (const u of [...doctors, ...admins])
        await deps.messaging.notify(tx, {
          template: 'consultation_queued',
          vars: { patientName, consultationRef: ref, consultationType: c.consultationType },
          recipient: { userId: u.id },
          idempotencyKey: `consultation:${c.id}:queued:${u.id}`,
          channels: ['in_app'],
        });
      if (!admins.length)
        deps.log.warn({ consultationId: c.id }, 'unassigned consultation and no admin to tell');
    },

    /**
     * The shared-queue entry left the queue (claimed, or assigned by an admin): every other doctor
     * and every admin gets an in-app `consultation_taken`, the "removed" event of their live queue
     * (the counterpart of `consultation_queued`). The doctor who took it is not told.
     */
    async announceTaken(tx: Tx, c: Consultation, by: { doctorId: string; actorId: string }): Promise<void> {
      const identity = deps.identity.within(tx);
      // One after another: a transaction's connection runs one query at a time.
      const doctor = await identity.getClinician(by.doctorId);
      const doctors = await identity.listUsersByRole('clinician');
      const admins = await identity.listUsersByRole('admin');
      const vars = {
        consultationRef: consultationRef(c.id),
        consultationType: c.consultationType,
        clinicianName: doctor?.fullName ?? 'Doctor',
      };
      for (const u of [...doctors, ...admins]) {
        if (u.id === by.doctorId || u.id === by.actorId) continue;
        await deps.messaging.notify(tx, {
          template: 'consultation_taken',
          vars,
          recipient: { userId: u.id },
          idempotencyKey: `consultation:${c.id}:taken:${u.id}`,
          channels: ['in_app'],
        });
      }
    },

    /** An active clinician with a profile, on the caller's transaction (for an admin's assignment). */
    isDoctor: async (tx: Tx, id: string) =>
      (await deps.identity.within(tx).getClinician(id))?.isActive === true,

    /** Audit row of a read or write of clinical data (field names only, never values). */
    async audit(
      tx: Tx,
      who: AuditWho,
      action: string,
      resource: { type: string; id: string },
      fields?: string[],
    ) {
      await audit.record(tx, {
        ...who.meta,
        actor: who.actor,
        action,
        resourceType: resource.type,
        resourceId: resource.id,
        ...(fields ? { changedFields: fields } : {}),
      });
    },
  };
}

export type ConsultationEffects = ReturnType<typeof consultationEffects>;
