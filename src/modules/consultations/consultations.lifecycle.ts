import type { Actor } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/paging.js';
import type { AuditWho, ConsultationEffects } from './consultations.effects.js';
import type { ConsultationsDeps } from './consultations.ports.js';
import {
  type Consultation,
  consultationsRepository,
  type Keyset,
  readRepository,
} from './consultations.repository.js';
import {
  assertAssignedDoctor,
  assertCanWriteNotes,
  canRead,
  type LifecycleEvent,
  transition,
} from './consultations.rules.js';

type Deps = Pick<ConsultationsDeps, 'clock' | 'uow' | 'pool' | 'payments'>;

export type PageRequest = { limit: number; cursor?: string };
type Page<T> = { items: T[]; nextCursor: string | null };

async function paged(
  page: PageRequest,
  fetch: (keyset: Keyset) => Promise<Array<Consultation & { cursorAt: string }>>,
): Promise<Page<Consultation>> {
  const after = decodeCursor(page.cursor, ['instant', 'uuid']) as [string, string] | undefined;
  const rows = await fetch({ limit: page.limit + 1, ...(after ? { after } : {}) });
  const { items, nextCursor } = toPage(rows, page.limit, (c) => [c.cursorAt, c.id]);
  return { items: items.map(({ cursorAt: _, ...c }) => c), nextCursor };
}
const PAID = new Set(['SUCCEEDED', 'PARTIALLY_REFUNDED']);

export type NotesInput = { notes: string; diagnosis?: string; plan?: string };

/** Reads, claims, activation, closing and notes: access rules of seed 002, every clinical read audited. */
export function makeLifecycle(deps: Deps, effects: ConsultationEffects) {
  const read = readRepository(deps.pool);
  const notFound = (id: string) => Errors.notFound('Consultation', id);

  /** Payment cleared as of now: a gateway payment refunded (or being refunded) in full no longer counts. */
  async function paymentCleared(c: Consultation): Promise<boolean> {
    if (!c.paymentCleared) return false;
    if (!c.paymentId) return true;
    const p = await deps.payments.getById(c.paymentId);
    return !!p && PAID.has(p.status) && p.refunded.amount + p.refundPending.amount < p.amount.amount;
  }

  async function getConsultation(actor: Actor, id: string, who: AuditWho): Promise<Consultation> {
    return deps.uow(async (tx) => {
      const c = await consultationsRepository(tx.db).findConsultation(id);
      if (!c || !canRead(actor, c)) throw notFound(id);
      await effects.audit(tx, who, 'consultation.read', { type: 'consultation', id }, [
        'symptoms',
        'aiDiagnosis',
        'notes',
        'diagnosis',
        'plan',
      ]);
      return c;
    });
  }

  /** Patients: their own; doctors: assigned to them; admins: all. Newest first, a keyset page at a time. */
  async function listMine(actor: Actor, page: PageRequest): Promise<Page<Consultation>> {
    const owner =
      actor.role === 'patient'
        ? { patientId: actor.userId }
        : actor.role === 'clinician'
          ? { doctorId: actor.userId }
          : {};
    return paged(page, (keyset) => read().listNewestFirst(owner, keyset));
  }

  /** Oldest first: consultations that join later land on later pages. */
  const queue = (actor: Actor, page: PageRequest) =>
    paged(page, (keyset) => read().listQueue(actor.userId, keyset));

  /** Locks the row, checks who may act, applies the one transition function, writes the result. */
  async function apply(
    actor: Actor,
    id: string,
    who: AuditWho,
    event: (c: Consultation, cleared: boolean) => LifecycleEvent,
    opts: {
      assigned: boolean;
      action?: string;
      /** Checks on the caller's transaction before anything is written. */
      check?: (tx: Tx) => Promise<void>;
      /** More to do in the same transaction, with the row as written. */
      afterWrite?: (tx: Tx, updated: Consultation) => Promise<void>;
    },
  ): Promise<Consultation> {
    const before = await read().findConsultation(id);
    if (!before || !canRead(actor, before) || actor.role === 'patient') throw notFound(id);
    const cleared = await paymentCleared(before);
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const repo = consultationsRepository(tx.db);
      const c = await repo.findConsultationForUpdate(id);
      if (!c) throw notFound(id);
      const e = event(c, cleared);
      // A claim that lost the race to another doctor learns why (409 ALREADY_ASSIGNED from the transition).
      if (!canRead(actor, c) && e.type !== 'claim') throw notFound(id);
      if (opts.assigned) assertAssignedDoctor(actor, c);
      await opts.check?.(tx);
      const next = transition({ ...c, paymentCleared: c.paymentCleared && cleared }, e);
      const updated = await repo.updateConsultation(id, {
        status: next.status,
        pendingReason: next.pendingReason,
        doctorId: next.doctorId,
        updatedAt: now,
        ...(e.type === 'claim' ? { assignedAt: now } : {}),
        ...(e.type === 'activate' ? { activatedAt: now } : {}),
        ...(e.type === 'close' ? { closedAt: now } : {}),
        ...(e.type === 'cancel' ? { cancelledAt: now } : {}),
      });
      await effects.audit(tx, who, `consultation.${opts.action ?? e.type}`, { type: 'consultation', id }, [
        'status',
      ]);
      await opts.afterWrite?.(tx, updated);
      return updated;
    });
  }

  return {
    getConsultation,
    listMine,
    queue,
    /** A doctor takes an unassigned one; the others' live queues are told it left. */
    claim: (actor: Actor, id: string, who: AuditWho) =>
      apply(actor, id, who, () => ({ type: 'claim', doctorId: actor.userId }), {
        assigned: false,
        afterWrite: (tx, c) =>
          effects.announceTaken(tx, c, { doctorId: actor.userId, actorId: actor.userId }),
      }),

    /** An admin gives an unassigned one to a doctor (the same move as a claim, 409 ALREADY_ASSIGNED). */
    assign: (actor: Actor, id: string, doctorId: string, who: AuditWho) =>
      apply(actor, id, who, () => ({ type: 'claim', doctorId }), {
        assigned: false,
        action: 'assign',
        async check(tx) {
          if (!(await effects.isDoctor(tx, doctorId)))
            throw Errors.validation('doctorId is not an active doctor.', [
              { path: 'body.doctorId', message: 'not an active doctor' },
            ]);
        },
        async afterWrite(tx, c) {
          await effects.announce(tx, c);
          await effects.announceTaken(tx, c, { doctorId, actorId: actor.userId });
        },
      }),
    activate: (actor: Actor, id: string, who: AuditWho) =>
      apply(actor, id, who, () => ({ type: 'activate' }), { assigned: true }),
    close: (actor: Actor, id: string, who: AuditWho) =>
      apply(actor, id, who, () => ({ type: 'close' }), { assigned: true }),

    async updateNotes(actor: Actor, id: string, input: NotesInput, who: AuditWho): Promise<Consultation> {
      const now = deps.clock.now();
      return deps.uow(async (tx) => {
        const repo = consultationsRepository(tx.db);
        const c = await repo.findConsultationForUpdate(id);
        if (!c || !canRead(actor, c)) throw notFound(id);
        assertCanWriteNotes(actor, c);
        const fields = [
          'notes',
          ...(input.diagnosis !== undefined ? ['diagnosis'] : []),
          ...(input.plan !== undefined ? ['plan'] : []),
        ];
        const updated = await repo.updateConsultation(id, {
          notes: input.notes,
          ...(input.diagnosis !== undefined ? { diagnosis: input.diagnosis } : {}),
          ...(input.plan !== undefined ? { plan: input.plan } : {}),
          updatedAt: now,
        });
        await effects.audit(tx, who, 'consultation.notes.update', { type: 'consultation', id }, fields);
        return updated;
      });
    },
  };
}
