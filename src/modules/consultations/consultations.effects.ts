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
      const [doctors, admins] = await Promise.all([
        identity.listUsersByRole('clinician'),
        identity.listUsersByRole('admin'),
      ]);
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
