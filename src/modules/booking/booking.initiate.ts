import { randomUUID } from 'node:crypto';
import type { Actor } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import { AppError, Errors } from '../../platform/errors.js';
import type { CheckoutInfo, PreparedPayment } from '../payments/index.js';
import type { Mode } from '../scheduling/index.js';
import type { BookingEffects } from './booking.effects.js';
import { assertWithinHorizon, slotNotFound, slotUnavailable } from './booking.errors.js';
import {
  type Appointment,
  appointmentsRepository,
  isOverlapViolation,
  patientAndClinicianLockSql,
} from './booking.repository.js';
import {
  bookingParty,
  bookingPolicy,
  HOLD_QUOTA_WINDOW_MS,
  holdQuotaExceeded,
  MAX_UNPAID_HOLDS_PER_DAY,
  remindAtFor,
  transition,
} from './booking.rules.js';
import type { BookingDeps } from './booking.service.js';

/** A patient may hold at most this many unpaid slots at once. */
export const MAX_LIVE_HOLDS = 3;

export type InitiateInput = {
  clinicianId: string;
  startAt: Date;
  mode: Mode;
  centreId?: string;
  provider?: string;
  patientId?: string;
};

export type InitiateResult = { created: boolean; appointment: Appointment; payment: CheckoutInfo | null };

type HoldResult = {
  created: boolean;
  appointment: Appointment;
  /** The payment made in this transaction, for openCheckout without reading it again. */
  prepared?: PreparedPayment;
  /** The failed payment a fresh attempt replaced: its checkout is closed after the commit. */
  replaced?: string;
};

type Deps = Pick<
  BookingDeps,
  'config' | 'clock' | 'uow' | 'log' | 'catalog' | 'scheduling' | 'identity' | 'payments' | 'occupancy'
>;

/** Checks everything that needs no lock, before the transaction: who, which slot, which policy. */
async function prepare(deps: Deps, actor: Actor, input: InitiateInput, now: Date) {
  const party = bookingParty(actor, input.patientId);
  if (input.startAt.getTime() <= now.getTime()) throw slotUnavailable();
  assertWithinHorizon(input.startAt, now, deps.config.booking.horizonDays);
  // Fresh, in parallel: the clinician (identity) and, in one catalog statement, the listing, the
  // plan and the slot's schedule (scheduling's columns); findSlot gets both, reads neither again.
  // The fee charged is the one read here.
  const schedule = deps.scheduling.slotScheduleRead(input.clinicianId, input.startAt);
  const facts = deps.catalog.bookingFacts(input.clinicianId, party.patientId, { also: schedule.columns });
  const [slot, patient, { clinician, plan }] = await Promise.all([
    deps.scheduling.findSlot({
      clinicianId: input.clinicianId,
      startAt: input.startAt,
      mode: input.mode,
      clinician: facts.then((f) => f.clinician),
      schedule: facts.then((f) => schedule.parse(f.also)),
    }),
    party.source === 'WEB_PATIENT' ? null : deps.identity.getUser(party.patientId),
    facts,
  ]);
  if (!clinician) throw Errors.notFound('Clinician', input.clinicianId);
  if (!slot || (input.centreId && slot.centreId !== input.centreId)) throw slotNotFound();
  if (party.source !== 'WEB_PATIENT' && patient?.role !== 'patient')
    throw Errors.notFound('Patient', party.patientId);
  const policy = bookingPolicy(plan, deps.config.booking.requirePlan);
  if (policy === 'refuse')
    throw new AppError(403, 'SUBSCRIPTION_REQUIRED', 'Your plan does not allow booking; subscribe to book.');
  return { party, clinician, slot, plan, free: policy === 'free' };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;
type NewValues = Parameters<ReturnType<typeof appointmentsRepository>['insert']>[0] & {
  id: string;
  patientId: string;
};

export function makeInitiate(deps: Deps, effects: BookingEffects) {
  /** Releases a hold whose checkout could not be opened, so the slot is free again at once. */
  async function release(id: string) {
    const now = deps.clock.now();
    await deps.uow(async (tx) => {
      const repo = appointmentsRepository(tx.db, deps.occupancy.onCommit(tx));
      const a = await repo.findForUpdate(id);
      if (a?.status !== 'PENDING_PAYMENT') return;
      await repo.updateStatus(id, {
        status: transition(a.status, 'expire'),
        now,
        cancelReason: 'Payment checkout could not be opened',
      });
    });
  }

  /** A live hold whose payment failed gets a fresh attempt (issue 12): a new payment, then a new checkout. */
  async function newAttempt(
    tx: Tx,
    hold: Appointment,
    clinician: Prepared['clinician'],
    provider: string | undefined,
    now: Date,
  ) {
    const repo = appointmentsRepository(tx.db, deps.occupancy.onCommit(tx));
    const prepared = await deps.payments.preparePayment(tx, {
      payableKind: 'appointment',
      payableId: hold.id,
      patientId: hold.patientId,
      amount: { amount: hold.priceMinor, currency: hold.currency },
      ...(provider ? { provider } : {}),
      expiresAt: hold.holdExpiresAt!,
      description: `Appointment with ${clinician.fullName}`,
      idempotencyKey: `appointment:${hold.id}:payment:after:${hold.paymentId}`,
    });
    return { appointment: (await repo.setPayment(hold.id, prepared.paymentId, now))!, prepared };
  }

  /** The hold limits (paid holds only); a 409 here rolls back whatever the transaction wrote. */
  function assertHoldLimits(free: boolean, counts: { live: number; unpaidSince: number }) {
    if (!free && counts.live >= MAX_LIVE_HOLDS)
      throw Errors.conflict(
        'TOO_MANY_HOLDS',
        `You already hold ${MAX_LIVE_HOLDS} unpaid slots; pay for or cancel one first.`,
      );
    if (!free && holdQuotaExceeded(counts.unpaidSince))
      throw Errors.conflict(
        'TOO_MANY_HOLDS_TODAY',
        `You started ${MAX_UNPAID_HOLDS_PER_DAY} unpaid bookings in the last 24 hours; pay for one or try again later.`,
      );
  }

  /** The appointment row a new hold (or free booking) is written as. */
  function newAppointment(actor: Actor, input: InitiateInput, p: Prepared, now: Date) {
    const { party, clinician, slot, plan, free } = p;
    return {
      id: randomUUID(),
      patientId: party.patientId,
      clinicianId: clinician.id,
      centreId: slot.centreId,
      mode: input.mode,
      startsAt: slot.startAt,
      endsAt: slot.endAt,
      status: free ? ('CONFIRMED' as const) : ('PENDING_PAYMENT' as const),
      holdExpiresAt: free ? null : new Date(now.getTime() + deps.config.booking.holdMinutes * 60_000),
      remindAt: free ? remindAtFor(slot.startAt, deps.config.booking.reminderHoursBefore, now) : null,
      priceMinor: free ? 0 : clinician.fee.amount,
      currency: clinician.fee.currency,
      planCode: plan.planCode,
      bookedByUserId: actor.userId,
      source: party.source,
      paymentId: free ? null : randomUUID(),
      paymentOpen: !free,
      now,
    };
  }

  /**
   * Something overlaps the new hold: the patient's own live hold of this slot (returned, or given a
   * fresh attempt), else — within the limits — lapsed holds are freed and the insert repeated,
   * now letting the constraint decide. Undefined: inserted, `appointment` set on the result.
   */
  async function onOverlap(tx: Tx, input: InitiateInput, p: Prepared, values: NewValues, now: Date) {
    const repo = appointmentsRepository(tx.db, deps.occupancy.onCommit(tx));
    const since = new Date(now.getTime() - HOLD_QUOTA_WINDOW_MS);
    const facts = await repo.holdFacts({
      ...p.party,
      clinicianId: p.clinician.id,
      startsAt: p.slot.startAt,
      now,
      since,
    });
    const existing = facts.sameSlot ? await repo.findById(facts.sameSlot) : null;
    if (existing?.paymentOpen || (existing && !existing.paymentId))
      return { done: { created: false, appointment: existing } satisfies HoldResult };
    if (existing)
      return {
        done: {
          created: true,
          ...(await newAttempt(tx, existing, p.clinician, input.provider, now)),
          replaced: existing.paymentId!,
        } satisfies HoldResult,
      };
    assertHoldLimits(p.free, facts);
    // A lapsed hold is not a hold, swept or not (unless its payment may still have been paid).
    await repo.expireLapsedOverlapping({
      clinicianId: p.clinician.id,
      from: p.slot.startAt,
      to: p.slot.endAt,
      now,
    });
    return { appointment: (await repo.insert(values))! };
  }

  /**
   * In one transaction: the same live hold back, or a new hold with its payment, or a free booking.
   * Kept to few statements (issue 12: a paid initiate's round trips): both locks sent with BEGIN;
   * the new hold inserted first, returning the patient's hold counts from before it (over a limit:
   * 409, rolled back), the overlap path reading the facts only when something overlaps; the ids made
   * here so the appointment is written once with its payment.
   */
  async function holdOrBook(
    tx: Tx,
    actor: Actor,
    input: InitiateInput,
    p: Prepared,
    now: Date,
  ): Promise<HoldResult> {
    const repo = appointmentsRepository(tx.db, deps.occupancy.onCommit(tx));
    const values = newAppointment(actor, input, p, now);
    const since = new Date(now.getTime() - HOLD_QUOTA_WINDOW_MS);
    const inserted = await repo.insertIfFreeCounting(values, since);
    let appointment: Appointment;
    if (inserted) {
      assertHoldLimits(p.free, inserted);
      appointment = inserted.appointment;
    } else {
      const overlap = await onOverlap(tx, input, p, values, now);
      if (overlap.done) return overlap.done;
      appointment = overlap.appointment;
    }
    if (p.free) {
      await effects.confirmed(tx, appointment);
      return { created: true, appointment };
    }
    const prepared = await deps.payments.preparePayment(tx, {
      payableKind: 'appointment',
      payableId: appointment.id,
      patientId: p.party.patientId,
      amount: p.clinician.fee,
      ...(input.provider ? { provider: input.provider } : {}),
      expiresAt: appointment.holdExpiresAt!,
      description: `Appointment with ${p.clinician.fullName}`,
      idempotencyKey: `appointment:${appointment.id}:payment`,
      paymentId: values.paymentId!,
    });
    return { created: true, appointment, prepared };
  }

  /** The same hold again, its payment still open here: a failure the gateway has not told us yet opens a new attempt. */
  async function holdOrBookFresh(actor: Actor, input: InitiateInput, prepared: Prepared, now: Date) {
    // The patient's lock keeps the hold limit and "same slot again" exact; the clinician's stops
    // racing inserts deadlocking in the exclusion check (the second meets a clean violation: 409).
    // Sent with BEGIN: one round trip for both.
    const withBegin = patientAndClinicianLockSql(prepared.party.patientId, prepared.clinician.id);
    const run = () => deps.uow((tx) => holdOrBook(tx, actor, input, prepared, now), { withBegin });
    const first = await run();
    if (first.created || !first.appointment.paymentId) return first;
    if (!(await deps.payments.recheckOpenPayment(first.appointment.paymentId))) return first;
    return run();
  }

  return async function initiateBooking(actor: Actor, input: InitiateInput): Promise<InitiateResult> {
    const now = deps.clock.now();
    const prepared = await prepare(deps, actor, input, now);
    let result: HoldResult;
    try {
      result = await holdOrBookFresh(actor, input, prepared, now);
    } catch (err) {
      if (isOverlapViolation(err)) throw slotUnavailable();
      throw err;
    }
    const { appointment } = result;
    if (!appointment.paymentId) return { created: result.created, appointment, payment: null };
    let payment: CheckoutInfo;
    try {
      // The gateway call happens after the commit: never network I/O inside a transaction.
      payment = await deps.payments.openCheckout(result.prepared ?? appointment.paymentId);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) throw err;
      deps.log.warn({ err, appointmentId: appointment.id }, 'checkout could not be opened; hold released');
      if (result.created) await release(appointment.id);
      throw Errors.upstream('PAYMENT_GATEWAY_UNAVAILABLE', 'The payment gateway did not answer; try again.');
    }
    // The failed attempt's checkout is closed where the gateway can; money it still takes is refunded.
    if (result.replaced) await deps.payments.closeCheckout(result.replaced);
    return { created: result.created, appointment, payment };
  };
}
