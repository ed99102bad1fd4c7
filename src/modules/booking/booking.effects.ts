import type { Tx } from '../../platform/db/uow.js';
import { formatMoney } from '../../platform/money.js';
import type { Centre, Clinician } from '../catalog/index.js';
import type { User } from '../identity/index.js';
import { remindJob } from './booking.jobs.js';
import type { Appointment } from './booking.repository.js';
import { formatWhen } from './booking.rules.js';
import type { BookingDeps } from './booking.service.js';

/**
 * Effects run inside a unit of work, so they get only transaction-bound handles: other modules'
 * writes that take `tx` and their `within(tx)` reads. No pool, no pool-reading function.
 */
type EffectDeps = {
  messaging: BookingDeps['messaging'];
  video: Pick<BookingDeps['video'], 'requestMeeting' | 'rescheduleMeeting'>;
  identity: Pick<BookingDeps['identity'], 'within'>;
  catalog: Pick<BookingDeps['catalog'], 'within'>;
};

/** Names and places a message needs, read on the change's own transaction. */
export type MessageContext = {
  patient: User | null;
  clinician: Clinician | null;
  centre: Centre | null;
  adminIds: string[];
  zone: string;
};

const MODE_LABEL = { online: 'Online', in_person: 'In person' } as const;

/**
 * What a state change says and schedules, all inside the change's transaction: notifications
 * (rows + delivery jobs), the meeting request and the reminder job commit or roll back with it.
 */
export function bookingEffects(deps: EffectDeps) {
  async function loadContext(tx: Tx, a: Pick<Appointment, 'patientId' | 'clinicianId' | 'centreId'>) {
    // One connection runs one query at a time: these are sequential on purpose.
    const users = deps.identity.within(tx);
    const patient = await users.getUser(a.patientId);
    const clinician = await deps.catalog.within(tx).getClinician(a.clinicianId);
    const admins = await users.listUsersByRole('admin');
    const centre = (a.centreId && clinician?.centres.find((c) => c.id === a.centreId)) || null;
    const zone = centre?.timeZone ?? clinician?.timeZone ?? 'UTC';
    return { patient, clinician, centre, adminIds: admins.map((u) => u.id), zone } satisfies MessageContext;
  }

  const names = (a: Appointment, c: MessageContext) => ({
    patientName: c.patient?.fullName ?? 'Patient',
    clinicianName: c.clinician?.fullName ?? 'your clinician',
    startsAt: formatWhen(a.startsAt, c.zone),
    place: a.mode === 'online' || !c.centre ? 'Online' : `${c.centre.name}, ${c.centre.address}`,
  });

  async function scheduleReminder(tx: Tx, a: Appointment) {
    if (!a.remindAt) return;
    await tx.enqueue(
      remindJob,
      { appointmentId: a.id, remindAt: a.remindAt.toISOString() },
      { startAfter: a.remindAt },
    );
  }

  return {
    loadContext,
    scheduleReminder,

    async confirmed(tx: Tx, a: Appointment) {
      const c = await loadContext(tx, a);
      const n = names(a, c);
      const mode = MODE_LABEL[a.mode];
      const key = `appointment:${a.id}`;
      const notify = deps.messaging.notify.bind(deps.messaging);
      await notify(tx, {
        template: 'appointment_confirmed',
        vars: { ...n, mode },
        recipient: { userId: a.patientId },
        idempotencyKey: `${key}:confirmed:patient`,
      });
      // payment_received is sent by payments for every captured payment (key payment:<id>:received).
      const staffVars = {
        clinicianName: n.clinicianName,
        patientName: n.patientName,
        startsAt: n.startsAt,
        mode,
      };
      await notify(tx, {
        template: 'doctor_new_booking',
        vars: staffVars,
        recipient: { userId: a.clinicianId },
        idempotencyKey: `${key}:confirmed:clinician`,
      });
      for (const adminId of c.adminIds)
        await notify(tx, {
          template: 'admin_new_booking',
          vars: staffVars,
          recipient: { userId: adminId },
          idempotencyKey: `${key}:confirmed:admin:${adminId}`,
        });
      if (a.mode === 'online')
        await deps.video.requestMeeting(tx, {
          appointmentId: a.id,
          startsAt: a.startsAt,
          endsAt: a.endsAt,
          title: `Consultation with ${n.clinicianName}`,
          patientUserId: a.patientId,
          clinicianUserId: a.clinicianId,
        });
      await scheduleReminder(tx, a);
    },

    async rescheduled(tx: Tx, a: Appointment) {
      const c = await loadContext(tx, a);
      await deps.messaging.notify(tx, {
        template: 'appointment_confirmed',
        vars: { ...names(a, c), mode: MODE_LABEL[a.mode] },
        recipient: { userId: a.patientId },
        idempotencyKey: `appointment:${a.id}:rescheduled:${a.startsAt.toISOString()}`,
      });
      if (a.mode === 'online')
        await deps.video.rescheduleMeeting(tx, {
          appointmentId: a.id,
          startsAt: a.startsAt,
          endsAt: a.endsAt,
        });
      await scheduleReminder(tx, a);
    },

    async cancelled(tx: Tx, a: Appointment, refund: { amount: number } | null) {
      const c = await loadContext(tx, a);
      const { patientName, clinicianName, startsAt } = names(a, c);
      const vars = {
        patientName,
        clinicianName,
        startsAt,
        reason: a.cancelReason ?? '',
        refundAmount: refund ? formatMoney(refund.amount, a.currency) : '',
      };
      for (const [who, userId] of [
        ['patient', a.patientId],
        ['clinician', a.clinicianId],
      ] as const)
        await deps.messaging.notify(tx, {
          template: 'appointment_cancelled',
          vars,
          recipient: { userId },
          idempotencyKey: `appointment:${a.id}:cancelled:${who}`,
        });
    },

    async reminder(tx: Tx, a: Appointment, joinUrl: string) {
      const c = await loadContext(tx, a);
      const { patientName, clinicianName, startsAt, place } = names(a, c);
      await deps.messaging.notify(tx, {
        template: 'appointment_reminder',
        vars: { patientName, clinicianName, startsAt, place, joinUrl },
        recipient: { userId: a.patientId },
        idempotencyKey: `appointment:${a.id}:reminder:${a.remindAt?.toISOString()}`,
      });
    },

    async meetLink(tx: Tx, a: Appointment, joinUrl: string) {
      const c = await loadContext(tx, a);
      const { patientName, clinicianName, startsAt } = names(a, c);
      await deps.messaging.notify(tx, {
        template: 'meet_link',
        vars: { patientName, clinicianName, startsAt, joinUrl },
        recipient: { userId: a.patientId },
        idempotencyKey: `appointment:${a.id}:meet-link`,
      });
    },
  };
}

export type BookingEffects = ReturnType<typeof bookingEffects>;
