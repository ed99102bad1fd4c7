import { drizzle } from 'drizzle-orm/node-postgres';
import type { Actor } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { PayableHandlers, PaymentForHandler } from '../payments/index.js';
import { canSee } from './booking.access.js';
import type { BookingEffects } from './booking.effects.js';
import { type Appointment, appointmentsRepository, isOverlapViolation } from './booking.repository.js';
import { holdsSlot, isLiveHold, remindAtFor, transition } from './booking.rules.js';
import type { BookingDeps } from './booking.service.js';

/** The handlers run inside payments' unit of work: no pool, nothing that reads on it. */
type HandlerDeps = Pick<BookingDeps, 'config' | 'clock' | 'occupancy' | 'billing'>;
type ReadDeps = Pick<BookingDeps, 'pool' | 'payments'>;

/**
 * The appointment side of a payment. Invariant (money.md 9, 10): an appointment is confirmed
 * only by money that arrived while its hold was live, or by the late path while the slot is
 * still free (the exclusion constraint decides); otherwise the money is refunded in full.
 */
export function makePaymentHandlers(deps: HandlerDeps, effects: BookingEffects) {
  async function confirm(tx: Tx, a: Appointment, event: 'pay' | 'late_pay', now: Date) {
    const repo = appointmentsRepository(tx.db, deps.occupancy.onCommit(tx));
    const remindAt = remindAtFor(a.startsAt, deps.config.booking.reminderHoursBefore, now);
    const updated = (await repo.updateStatus(a.id, { status: transition(a.status, event), now, remindAt }))!;
    await effects.confirmed(tx, updated);
    // The money waits in the patient's escrow; the doctor's share is pending until a session event.
    if (a.paymentId)
      await deps.billing.prepaidPaid(tx, {
        payableKind: 'appointment',
        payableId: a.id,
        patientId: a.patientId,
        paymentId: a.paymentId,
        clinicianId: a.clinicianId,
        amountMinor: a.priceMinor,
        currency: a.currency,
      });
  }

  /** Confirms if possible; 'refund' when the money can no longer buy this appointment. */
  async function settle(tx: Tx, payment: PaymentForHandler): Promise<'fulfilled' | 'refund'> {
    const now = deps.clock.now();
    const repo = appointmentsRepository(tx.db, deps.occupancy.onCommit(tx));
    // The clinician's lock before the row's, in the order initiate takes them (no deadlock).
    await repo.lockClinicianOf(payment.payableId);
    const a = await repo.findForUpdate(payment.payableId);
    if (!a || a.paymentId !== payment.id) return 'refund';
    if (a.status === 'CONFIRMED' || a.status === 'COMPLETED' || a.status === 'NO_SHOW') return 'fulfilled';
    if (a.status === 'CANCELLED') return 'refund';
    // Still holding its slot (live, or lapsed while payments asked the gateway): this money is its own.
    if (holdsSlot(a, now)) {
      await confirm(tx, a, 'pay', now);
      return 'fulfilled';
    }
    if (a.status === 'PENDING_PAYMENT')
      await repo.updateStatus(a.id, { status: transition(a.status, 'expire'), now });
    if (a.startsAt.getTime() <= now.getTime()) return 'refund';
    // Late money: take the slot back only if nobody else holds or booked it meanwhile.
    await repo.expireLapsedOverlapping({ clinicianId: a.clinicianId, from: a.startsAt, to: a.endsAt, now });
    await tx.query('savepoint booking_late_payment');
    try {
      await confirm(tx, { ...a, status: 'EXPIRED' }, 'late_pay', now);
      await tx.query('release savepoint booking_late_payment');
      return 'fulfilled';
    } catch (err) {
      if (!isOverlapViolation(err)) throw err;
      await tx.query('rollback to savepoint booking_late_payment');
      return 'refund';
    }
  }

  async function expire(tx: Tx, payment: PaymentForHandler) {
    const repo = appointmentsRepository(tx.db, deps.occupancy.onCommit(tx));
    const a = await repo.findForUpdate(payment.payableId);
    if (a?.status !== 'PENDING_PAYMENT' || a.paymentId !== payment.id) return;
    await repo.updateStatus(a.id, { status: transition(a.status, 'expire'), now: deps.clock.now() });
  }

  /** A failed payment on a live hold leaves the hold: initiating again opens a fresh attempt (issue 12). */
  async function failed(tx: Tx, payment: PaymentForHandler) {
    const now = deps.clock.now();
    const repo = appointmentsRepository(tx.db, deps.occupancy.onCommit(tx));
    const a = await repo.findForUpdate(payment.payableId);
    if (a?.status !== 'PENDING_PAYMENT' || a.paymentId !== payment.id) return;
    if (isLiveHold(a, now)) await repo.closePayment(a.id, now);
    else await repo.updateStatus(a.id, { status: transition(a.status, 'expire'), now });
  }

  const handlers: PayableHandlers = {
    // "Still waiting" from payments' side; 'refund' when the hold had lapsed and the slot is gone
    // (payments then refunds in full: it alone decides and issues refunds).
    onSucceeded: settle,
    onFailed: failed,
    onExpired: expire,
    onLate: settle,
  };
  return handlers;
}

/** The payment reads booking makes outside any transaction: reconciliation's view and the checkout callback. */
export function makePaymentReads(deps: ReadDeps) {
  const repo = appointmentsRepository(drizzle(deps.pool, { casing: 'snake_case' }));
  /** For payments' reconciliation: the appointment's state and whether it counts itself paid. */
  const describe: NonNullable<PayableHandlers['describe']> = async (payableId) => {
    const a = await repo.findById(payableId);
    if (!a) return null;
    const paid = a.status === 'CONFIRMED' || a.status === 'COMPLETED' || a.status === 'NO_SHOW';
    return { state: a.status, paid };
  };

  /** The checkout's success callback: payments verifies it (and confirms through the handlers). */
  async function confirmBooking(
    actor: Actor,
    input: { appointmentId: string; provider: string; orderId: string; paymentId: string; signature: string },
  ): Promise<{ appointment: Appointment; awaitingCapture: boolean }> {
    const a = await repo.findById(input.appointmentId);
    if (!a || !canSee(actor, a) || actor.role === 'clinician')
      throw Errors.notFound('Appointment', input.appointmentId);
    if (!a.paymentId) {
      if (a.status === 'CONFIRMED') return { appointment: a, awaitingCapture: false };
      throw Errors.conflict('PAYMENT_NOT_CONFIRMED', 'This appointment has no payment to confirm.');
    }
    const { awaiting } = await deps.payments.verifyClientCallback(
      {
        provider: input.provider,
        orderId: input.orderId,
        paymentId: input.paymentId,
        signature: input.signature,
        payableKind: 'appointment',
        payableId: a.id,
      },
      { allowPending: true },
    );
    const after = (await repo.findById(a.id))!;
    // Authorised, not yet captured (Razorpay): the capture job confirms the hold, or takes the late path.
    if (awaiting === 'capture' && after.status === 'PENDING_PAYMENT')
      return { appointment: after, awaitingCapture: true };
    if (after.status !== 'CONFIRMED')
      throw Errors.conflict(
        'PAYMENT_NOT_CONFIRMED',
        'The payment arrived after the hold lapsed and the slot was taken; it will be refunded in full.',
      );
    return { appointment: after, awaitingCapture: false };
  }

  return { describe, confirmBooking };
}
