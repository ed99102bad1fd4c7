import type { Actor } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import { AppError, Errors } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/paging.js';
import type { SessionsDeps } from './sessions.ports.js';
import { sessionsRepository as repo, type SessionRow } from './sessions.repository.js';
import { isOver, type Kind, nextStatus, type SessionEvent } from './sessions.rules.js';
import { makeSettle } from './sessions.settle.js';

export type StartInput = { clinicianId?: string; appointmentId?: string; consultationId?: string };

const notFound = (id: string) => Errors.notFound('Session', id);
const invalid = (s: SessionRow, what: string) =>
  Errors.conflict('INVALID_SESSION_STATE', `A ${s.status.toLowerCase()} ${s.kind} session cannot ${what}.`);
const insufficient = () =>
  new AppError(402, 'INSUFFICIENT_CREDITS', 'No session credits left; buy a plan to start a session.');

const isParty = (actor: Pick<Actor, 'userId' | 'role'>, s: SessionRow) =>
  actor.role === 'admin' || actor.userId === s.patientId || actor.userId === s.clinicianId;

/** Text and call sessions: lifecycle, chat messages, and block billing through billing's ledger. */
export function createSessionsService(deps: SessionsDeps) {
  const settler = makeSettle(deps);

  /** Who pays and for what: `{clinicianId}` uses credits; an appointment or a paid consultation is prepaid. */
  async function fundingFor(actor: Actor, kind: Kind, input: StartInput, now: Date) {
    const given = [input.clinicianId, input.appointmentId, input.consultationId].filter(Boolean).length;
    if (given !== 1)
      throw Errors.validation('Give exactly one of clinicianId, appointmentId or consultationId.', [
        { path: 'body', message: 'exactly one of clinicianId, appointmentId, consultationId' },
      ]);
    if (input.appointmentId) {
      const a = await deps.getAppointment(input.appointmentId);
      if (!a || a.patientId !== actor.userId) throw Errors.notFound('Appointment', input.appointmentId);
      if (a.status !== 'CONFIRMED')
        throw Errors.conflict('APPOINTMENT_NOT_CONFIRMED', 'Sessions run on confirmed appointments only.');
      return {
        clinicianId: a.clinicianId,
        funding: 'prepaid' as const,
        appointmentId: a.id,
        consultationId: null,
      };
    }
    if (input.consultationId) return consultationFunding(actor, input.consultationId);
    const doc = await deps.getUser(input.clinicianId!);
    if (doc?.role !== 'clinician') throw Errors.notFound('Clinician', input.clinicianId!);
    if ((await deps.billing.creditsAvailable(actor.userId, kind, now)) < 1) throw insufficient();
    return { clinicianId: doc.id, funding: 'credits' as const, appointmentId: null, consultationId: null };
  }

  /**
   * A consultation paid upfront: only its patient, with its assigned doctor, while it is open. Never
   * charged credits; its payment goes to escrow with the doctor's pending earning (posted at the end).
   */
  async function consultationFunding(actor: Actor, id: string) {
    const c = await deps.getConsultation(id);
    if (!c || c.patientId !== actor.userId) throw Errors.notFound('Consultation', id);
    if (c.status !== 'PENDING' && c.status !== 'ACTIVE')
      throw Errors.conflict(
        'CONSULTATION_NOT_OPEN',
        `A ${c.status.toLowerCase()} consultation takes no sessions.`,
      );
    if (!c.doctorId)
      throw Errors.conflict('CONSULTATION_NOT_ASSIGNED', 'This consultation has no doctor yet.');
    if (!c.paid)
      throw Errors.conflict('PAYMENT_NOT_CLEARED', 'The payment for this consultation is not cleared.');
    return {
      clinicianId: c.doctorId,
      funding: 'prepaid' as const,
      appointmentId: null,
      consultationId: c.id,
      payment: c.payment,
    };
  }

  async function start(actor: Actor, kind: Kind, input: StartInput): Promise<SessionRow> {
    const now = deps.clock.now();
    const { payment, ...f } = { payment: null, ...(await fundingFor(actor, kind, input, now)) };
    const ringMs = deps.config.billing.callRingTimeoutSeconds * 1000;
    return deps.uow(async (tx) => {
      if (payment && f.consultationId)
        await deps.billing.fundPrepaid(tx, {
          payableKind: 'consultation',
          payableId: f.consultationId,
          patientId: actor.userId,
          paymentId: payment.id,
          clinicianId: f.clinicianId,
          amountMinor: payment.amountMinor,
          currency: payment.currency,
        });
      return repo.insert(tx, {
        kind,
        status: kind === 'text' ? 'WAITING' : 'RINGING',
        patientId: actor.userId,
        ...f,
        blockMinutes: deps.config.billing.blockMinutes,
        ringExpiresAt: kind === 'call' ? new Date(now.getTime() + ringMs) : null,
        now,
      });
    });
  }

  async function get(actor: Actor, id: string): Promise<SessionRow> {
    const s = await repo.findById(deps.pool, id);
    if (!s || !isParty(actor, s)) throw notFound(id);
    return s;
  }

  /** Locks a session of this kind the actor may act on; `who` narrows to the doctor. */
  async function lock(tx: Tx, actor: Actor | null, id: string, kind: Kind, who: 'either' | 'doctor') {
    const s = await repo.findForUpdate(tx, id);
    if (!s || s.kind !== kind || (actor && !isParty(actor, s))) throw notFound(id);
    if (actor && who === 'doctor' && actor.userId !== s.clinicianId && actor.role !== 'admin')
      throw Errors.forbidden('NOT_SESSION_DOCTOR', "Only the session's doctor can do this.");
    return s;
  }

  const move = (s: SessionRow, event: SessionEvent, what: string) => {
    const to = nextStatus(s.kind, s.status, event);
    if (!to) throw invalid(s, what);
    return to;
  };

  /** Ends a session at `now`: settles every started block first (inclusive of `now`), then posts a prepaid earning. */
  async function endLocked(tx: Tx, s: SessionRow, reason: string, now: Date): Promise<SessionRow> {
    if (isOver(s.status)) return s;
    const settled = await settler.settleLocked(tx, { ...s, endedAt: now }, now, now);
    if (isOver(settled.status)) return settled;
    const ended = await repo.update(tx, s.id, {
      status: 'ENDED',
      endedAt: now,
      endReason: reason,
      nextBlockAt: null,
      now,
    });
    const started = s.kind === 'text' ? s.activatedAt : s.connectedAt;
    if (s.funding === 'prepaid' && started) {
      const payable = s.appointmentId
        ? { payableKind: 'appointment' as const, payableId: s.appointmentId }
        : { payableKind: 'consultation' as const, payableId: s.consultationId! };
      await deps.billing.postPrepaid(tx, payable);
    }
    return ended;
  }

  const endReasonOf = (actor: Actor | null, s: SessionRow) =>
    !actor ? 'PROVIDER_HANGUP' : actor.userId === s.patientId ? 'PATIENT_ENDED' : 'CLINICIAN_ENDED';

  async function startBilling(
    tx: Tx,
    s: SessionRow,
    at: 'activatedAt' | 'connectedAt',
    event: SessionEvent,
    now: Date,
  ) {
    const status = move(s, event, event);
    const started = await repo.update(tx, s.id, { status, [at]: now, now });
    return settler.settleLocked(tx, started, now, now);
  }

  /** A call still ringing past its timeout is MISSED (on read and write, swept or not). */
  async function missIfExpired(tx: Tx, s: SessionRow, now: Date) {
    if (s.status !== 'RINGING' || !s.ringExpiresAt || s.ringExpiresAt.getTime() > now.getTime()) return s;
    return repo.update(tx, s.id, { status: 'MISSED', now });
  }

  return {
    settle: settler.settle,
    settleDue: settler.settleDue,
    start,
    get,

    activate: (actor: Actor, id: string) =>
      deps.uow(async (tx) => {
        const s = await lock(tx, actor, id, 'text', 'doctor');
        return startBilling(tx, s, 'activatedAt', 'activate', deps.clock.now());
      }),

    end: (actor: Actor, id: string) =>
      deps.uow(async (tx) => {
        const s = await lock(tx, actor, id, 'text', 'either');
        return endLocked(tx, s, endReasonOf(actor, s), deps.clock.now());
      }),

    connect: async (actor: Actor, id: string) => {
      const now = deps.clock.now();
      const s = await deps.uow(async (tx) => {
        const locked = await missIfExpired(tx, await lock(tx, actor, id, 'call', 'doctor'), now);
        return locked.status === 'MISSED' ? locked : startBilling(tx, locked, 'connectedAt', 'connect', now);
      });
      if (s.status === 'MISSED')
        throw Errors.conflict('CALL_MISSED', 'The call rang out before it was answered.');
      return s;
    },

    /** Either party, or the provider's callback (`actor` null); whichever comes first ends it, the other changes nothing. */
    hangup: (actor: Actor | null, id: string) =>
      deps.uow(async (tx) => {
        const now = deps.clock.now();
        const s = await missIfExpired(tx, await lock(tx, actor, id, 'call', 'either'), now);
        return endLocked(tx, s, endReasonOf(actor, s), now);
      }),

    reject: (actor: Actor, id: string) =>
      deps.uow(async (tx) => {
        const now = deps.clock.now();
        const s = await missIfExpired(tx, await lock(tx, actor, id, 'call', 'doctor'), now);
        // Already over without an answer: a repeated reject, or a call that rang out (stays MISSED).
        if (s.status === 'REJECTED' || s.status === 'MISSED') return s;
        return repo.update(tx, s.id, { status: move(s, 'reject', 'be rejected'), now });
      }),

    /** Calls that rang out become MISSED; never billed. */
    async sweepMissed(limit = 500): Promise<number> {
      const now = deps.clock.now();
      return deps.uow(async (tx) => {
        const rows = await repo.claimRingingExpired(tx, now, limit);
        for (const s of rows) await repo.update(tx, s.id, { status: 'MISSED', now });
        return rows.length;
      });
    },

    /** Oldest first, a keyset page at a time (`{items, nextCursor}`): new messages land on later pages. */
    async listMessages(actor: Actor, id: string, opts: { limit: number; cursor?: string }) {
      const key = decodeCursor(opts.cursor, ['instant', 'uuid']);
      const s = await get(actor, id);
      if (s.kind !== 'text') throw notFound(id);
      const after = key ? { at: String(key[0]), id: String(key[1]) } : undefined;
      const rows = await repo.listMessages(deps.pool, id, opts.limit + 1, after);
      const page = toPage(rows, opts.limit, (m) => [m.cursorAt, m.id]);
      return { ...page, items: page.items.map(({ cursorAt: _, ...m }) => m) };
    },

    /** Stores the message and pushes it to the other party's notification stream, in one transaction. */
    async postMessage(actor: Actor, id: string, body: string) {
      const now = deps.clock.now();
      const sender = await deps.getUser(actor.userId);
      return deps.uow(async (tx) => {
        const s = await lock(tx, actor, id, 'text', 'either');
        if (isOver(s.status)) throw invalid(s, 'take messages');
        const m = await repo.insertMessage(tx, { sessionId: id, senderId: actor.userId, body, now });
        const to = actor.userId === s.patientId ? s.clinicianId : s.patientId;
        await deps.notify(tx, {
          template: 'session_message',
          vars: {
            senderName: sender?.fullName ?? 'Carebook user',
            sessionId: id,
            preview: body.slice(0, 1000),
          },
          recipient: { userId: to },
          idempotencyKey: `session-message:${m.id}`,
        });
        return m;
      });
    },
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
