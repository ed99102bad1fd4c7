import type { Actor } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import { canSee } from './booking.access.js';
import type { BookingEffects } from './booking.effects.js';
import { assertWithinHorizon, slotNotFound, slotUnavailable } from './booking.errors.js';
import { type Appointment, appointmentsRepository, isOverlapViolation } from './booking.repository.js';
import {
  effectiveStatus,
  noShowDueBefore,
  patientMayChange,
  remindAtFor,
  sameInstant,
  transition,
} from './booking.rules.js';
import type { BookingDeps } from './booking.service.js';

type Deps = Pick<
  BookingDeps,
  'config' | 'clock' | 'uow' | 'payments' | 'scheduling' | 'video' | 'catalog' | 'occupancy' | 'billing'
>;

export type Refund = { refundId: string; amount: number; status: string };

const windowClosed = (hours: number) =>
  Errors.conflict(
    'CANCELLATION_WINDOW_CLOSED',
    `Appointments cannot be cancelled or moved within ${hours} hours of the start; contact the clinic.`,
  );

/** Cancel, reschedule, complete, no-show, and the jobs that move appointments on their own. */
export function makeChanges(deps: Deps, effects: BookingEffects) {
  const windowHours = deps.config.booking.cancellationWindowHours;

  async function lockVisible(tx: Tx, actor: Actor, id: string) {
    const a = await appointmentsRepository(tx.db).findForUpdate(id);
    if (!a || !canSee(actor, a)) throw Errors.notFound('Appointment', id);
    return a;
  }

  async function cancelAppointment(actor: Actor, id: string, reason?: string) {
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const a = await lockVisible(tx, actor, id);
      transition(effectiveStatus(a, now), 'cancel');
      if (
        actor.role === 'patient' &&
        a.status === 'CONFIRMED' &&
        !patientMayChange({ ...a, now, windowHours })
      )
        throw windowClosed(windowHours);
      const appointment = (await appointmentsRepository(tx.db, deps.occupancy.onCommit(tx)).updateStatus(id, {
        status: 'CANCELLED',
        now,
        remindAt: null,
        cancelReason: reason ?? `Cancelled by the ${actor.role}`,
        cancelledByUserId: actor.userId,
      }))!;
      // Only money that was captured for a confirmed appointment is refunded here (what is left of
      // it, after any refund an admin made); a payment for a cancelled hold that still completes is
      // refunded by the late-payment path.
      const refund: Refund | null =
        a.status === 'CONFIRMED' && a.paymentId
          ? await deps.payments.refundRemainder(tx, {
              paymentId: a.paymentId,
              reason: appointment.cancelReason ?? 'Appointment cancelled',
              idempotencyKey: `appointment:${id}:cancel-refund`,
            })
          : null;
      if (a.mode === 'online') await deps.video.cancelMeeting(tx, id);
      if (a.status === 'CONFIRMED' && a.paymentId)
        await deps.billing.cancelPrepaid(tx, {
          payableKind: 'appointment',
          payableId: id,
          patientId: a.patientId,
        });
      await effects.cancelled(tx, appointment, refund);
      return { appointment, refund };
    });
  }

  async function rescheduleAppointment(actor: Actor, id: string, startAt: Date) {
    const now = deps.clock.now();
    const check = (a: Appointment) => {
      if (a.status !== 'CONFIRMED')
        throw Errors.conflict(
          'INVALID_APPOINTMENT_STATE',
          'Only a confirmed appointment can be rescheduled.',
        );
      if (actor.role === 'patient' && !patientMayChange({ ...a, now, windowHours }))
        throw windowClosed(windowHours);
    };
    const current = await deps.uow(async (tx) => lockVisible(tx, actor, id));
    check(current);
    if (startAt.getTime() <= now.getTime()) throw slotUnavailable();
    assertWithinHorizon(startAt, now, deps.config.booking.horizonDays);
    const slot = await deps.scheduling.findSlot({
      clinicianId: current.clinicianId,
      startAt,
      mode: current.mode,
    });
    if (!slot) throw slotNotFound();
    if (sameInstant(slot.startAt, current.startsAt)) return current;
    try {
      return await deps.uow(async (tx) => {
        const repo = appointmentsRepository(tx.db, deps.occupancy.onCommit(tx));
        // The clinician's lock before any row lock, as initiate and the payment handlers take them.
        await repo.lockClinician(current.clinicianId);
        const a = await lockVisible(tx, actor, id);
        check(a);
        await repo.expireLapsedOverlapping({
          clinicianId: a.clinicianId,
          from: slot.startAt,
          to: slot.endAt,
          now,
        });
        // The exclusion constraint decides a race with another booking of the target slot.
        const moved = (await repo.move(id, {
          startsAt: slot.startAt,
          endsAt: slot.endAt,
          centreId: slot.centreId,
          remindAt: remindAtFor(slot.startAt, deps.config.booking.reminderHoursBefore, now),
          now,
        }))!;
        await effects.rescheduled(tx, moved);
        return moved;
      });
    } catch (err) {
      if (isOverlapViolation(err)) throw slotUnavailable();
      throw err;
    }
  }

  async function finish(actor: Actor, id: string, event: 'complete' | 'no_show') {
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const a = await lockVisible(tx, actor, id);
      if (actor.role !== 'admin' && actor.userId !== a.clinicianId) throw Errors.notFound('Appointment', id);
      if (a.startsAt.getTime() > now.getTime())
        throw Errors.conflict(
          'APPOINTMENT_NOT_STARTED',
          'An appointment can be closed only after it starts.',
        );
      if (a.status === 'NO_SHOW' && !a.noShowReview)
        throw Errors.conflict(
          'INVALID_APPOINTMENT_STATE',
          'This appointment was already marked as a no-show.',
        );
      const status = transition(a.status, event);
      const updated = (await appointmentsRepository(tx.db, deps.occupancy.onCommit(tx)).updateStatus(id, {
        status,
        now,
        noShowReview: false,
      }))!;
      // An in-person visit has no session: the clinician's completion is its session event.
      if (status === 'COMPLETED' && a.mode === 'in_person')
        await deps.billing.postPrepaid(tx, { payableKind: 'appointment', payableId: id });
      // Marked by the clinician (or an admin): the patient did not come; NO_SHOW_POLICY decides.
      if (status === 'NO_SHOW' && a.paymentId) {
        const payable = { payableKind: 'appointment' as const, payableId: id, patientId: a.patientId };
        if ((await deps.billing.applyNoShow(tx, payable, 'patient')) === 'refund')
          await deps.payments.refundRemainder(tx, {
            paymentId: a.paymentId,
            reason: 'No-show (policy: refund)',
            idempotencyKey: `appointment:${id}:no-show-refund`,
          });
      }
      if (status === 'COMPLETED')
        await deps.catalog.recordRelationship(tx, {
          clinicianId: a.clinicianId,
          patientId: a.patientId,
          source: 'appointment',
        });
      return updated;
    });
  }

  /**
   * An admin records that the doctor did not attend (issue 13): the appointment is cancelled with a
   * full refund of what is left of the payment, the doctor's earning is voided (or taken back), and
   * the patient and the doctor are told. Only after the start, from CONFIRMED or NO_SHOW (the job's,
   * or the patient's marked by mistake); once.
   */
  async function clinicianNoShow(actor: Actor, id: string, reason?: string) {
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const a = await lockVisible(tx, actor, id);
      if (a.status !== 'CONFIRMED' && a.status !== 'NO_SHOW')
        throw Errors.conflict(
          'INVALID_APPOINTMENT_STATE',
          `A ${a.status.toLowerCase()} appointment cannot be recorded as the clinician's no-show.`,
        );
      if (a.startsAt.getTime() > now.getTime())
        throw Errors.conflict(
          'APPOINTMENT_NOT_STARTED',
          'An appointment can be closed only after it starts.',
        );
      const appointment = (await appointmentsRepository(tx.db, deps.occupancy.onCommit(tx)).updateStatus(id, {
        status: 'CANCELLED',
        now,
        remindAt: null,
        noShowReview: false,
        cancelReason: reason ?? 'The clinician did not attend; the payment is refunded in full.',
        cancelledByUserId: actor.userId,
      }))!;
      let refund: Refund | null = null;
      if (a.paymentId) {
        const payable = { payableKind: 'appointment' as const, payableId: id, patientId: a.patientId };
        await deps.billing.applyNoShow(tx, payable, 'clinician');
        refund = await deps.payments.refundRemainder(tx, {
          paymentId: a.paymentId,
          reason: 'The clinician did not attend',
          idempotencyKey: `appointment:${id}:clinician-no-show-refund`,
        });
      }
      if (a.mode === 'online') await deps.video.cancelMeeting(tx, id);
      await effects.cancelled(tx, appointment, refund);
      return { appointment, refund };
    });
  }

  return {
    cancelAppointment,
    clinicianNoShow,
    rescheduleAppointment,
    completeAppointment: (actor: Actor, id: string) => finish(actor, id, 'complete'),
    markNoShow: (actor: Actor, id: string) => finish(actor, id, 'no_show'),

    /** The reminder job: sends only while CONFIRMED and still due at the time it was scheduled for. */
    async sendReminder(appointmentId: string, remindAt: string): Promise<boolean> {
      return deps.uow(async (tx) => {
        const a = await appointmentsRepository(tx.db).findForUpdate(appointmentId);
        if (a?.status !== 'CONFIRMED' || !sameInstant(a.remindAt, new Date(remindAt))) return false;
        // A job run so late that the appointment has begun would only confuse the patient.
        if (a.startsAt.getTime() <= deps.clock.now().getTime()) return false;
        const meeting = a.mode === 'online' ? await deps.video.within(tx).findForAppointment(a.id) : null;
        await effects.reminder(tx, a, meeting?.joinUrl ?? '');
        return true;
      });
    },

    async sweepLapsedHolds(): Promise<number> {
      const now = deps.clock.now();
      return (await deps.uow((tx) => appointmentsRepository(tx.db).expireLapsedHolds(now, 500))).length;
    },

    async sweepNoShows(): Promise<number> {
      const now = deps.clock.now();
      const before = noShowDueBefore(now, deps.config.booking.noShowAfterMinutes);
      return (await deps.uow((tx) => appointmentsRepository(tx.db).markNoShows(before, now, 500))).length;
    },
  };
}
