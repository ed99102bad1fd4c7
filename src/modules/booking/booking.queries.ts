import { drizzle } from 'drizzle-orm/node-postgres';
import { audit, type RequestMeta } from '../../platform/audit.js';
import type { Actor } from '../../platform/auth.js';
import { Errors } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/paging.js';
import type { Centre, Clinician } from '../catalog/index.js';
import { canSee } from './booking.access.js';
import { type AdminFilters, type Appointment, appointmentsRepository } from './booking.repository.js';
import { dayRange, effectiveStatus } from './booking.rules.js';
import type { BookingDeps } from './booking.service.js';

type Deps = Pick<
  BookingDeps,
  'config' | 'clock' | 'pool' | 'uow' | 'catalog' | 'payments' | 'video' | 'identity'
>;

export type AppointmentView = {
  id: string;
  status: Appointment['status'];
  startAt: Date;
  endAt: Date;
  mode: Appointment['mode'];
  patientId: string;
  clinician: { id: string; fullName: string; specialization: string } | null;
  clinicianTimeZone: string;
  centre: Centre | null;
  payment: { status: string; amount: number; currency: string } | null;
  paymentId: string | null;
  meetLink: string | null;
  holdExpiresAt: Date | null;
  source: Appointment['source'];
  bookedByUserId: string;
  cancelReason: string | null;
  noShowReview: boolean;
};

/** Read side: dashboards and the occupancy port for slot search. Reads use the pool, never a transaction. */
export function makeQueries(deps: Deps) {
  const repo = appointmentsRepository(drizzle(deps.pool, { casing: 'snake_case' }));

  /** Enriches appointments with clinician, centre, payment and meeting; one catalog read per clinician. */
  async function toViews(rows: Appointment[], now: Date): Promise<AppointmentView[]> {
    const clinicians = new Map<string, Promise<Clinician | null>>();
    const clinicianOf = (id: string) => {
      // Unlisted clinicians too: their existing appointments still show who and in which zone.
      if (!clinicians.has(id)) clinicians.set(id, deps.catalog.getClinician(id, { includeUnlisted: true }));
      return clinicians.get(id)!;
    };
    return Promise.all(
      rows.map(async (a) => {
        const [clinician, payment, meeting] = await Promise.all([
          clinicianOf(a.clinicianId),
          a.paymentId ? deps.payments.getForPayable('appointment', a.id) : null,
          a.mode === 'online' ? deps.video.findForAppointment(a.id) : null,
        ]);
        return {
          id: a.id,
          status: effectiveStatus(a, now),
          startAt: a.startsAt,
          endAt: a.endsAt,
          mode: a.mode,
          patientId: a.patientId,
          clinician: clinician
            ? { id: clinician.id, fullName: clinician.fullName, specialization: clinician.specialization }
            : null,
          clinicianTimeZone: clinician?.timeZone ?? deps.config.consultations.clinicTimeZone,
          centre: (a.centreId && clinician?.centres.find((c) => c.id === a.centreId)) || null,
          payment: a.paymentId
            ? { status: payment?.status ?? 'UNKNOWN', amount: a.priceMinor, currency: a.currency }
            : null,
          paymentId: a.paymentId,
          meetLink: meeting?.joinUrl ?? null,
          holdExpiresAt: a.status === 'PENDING_PAYMENT' ? a.holdExpiresAt : null,
          source: a.source,
          bookedByUserId: a.bookedByUserId,
          cancelReason: a.cancelReason,
          noShowReview: a.noShowReview,
        };
      }),
    );
  }

  async function patientNames(actor: Actor, ids: string[], meta: RequestMeta) {
    if (ids.length === 0) return new Map<string, string | null>();
    return deps.uow(async (tx) => {
      const users = deps.identity.within(tx);
      const names = new Map<string, string | null>();
      for (const id of ids) {
        names.set(id, (await users.getUser(id))?.fullName ?? null);
        await audit.record(tx, {
          ...meta,
          actor,
          action: 'patient.name.read',
          resourceType: 'user',
          resourceId: id,
        });
      }
      return names;
    });
  }

  return {
    toViews,
    listOccupancy: (clinicianId: string, from: Date, to: Date, now: Date) =>
      repo.listOccupancy(clinicianId, from, to, now),
    /** The same for several clinicians in one query; each row names its clinician. */
    listOccupancyOf: async (clinicianIds: string[], from: Date, to: Date, now: Date) =>
      clinicianIds.length ? repo.listOccupancy(clinicianIds, from, to, now) : [],

    async listForPatient(actor: Actor, scope: 'upcoming' | 'past') {
      const now = deps.clock.now();
      return toViews(await repo.listForPatient(actor.userId, scope, now, 100), now);
    },

    async getVisible(actor: Actor, id: string): Promise<AppointmentView> {
      const now = deps.clock.now();
      const a = await repo.findById(id);
      if (!a || !canSee(actor, a)) throw Errors.notFound('Appointment', id);
      return (await toViews([a], now))[0]!;
    },

    /** For sessions (billing): who an appointment is between and where it stands; null when unknown. */
    async findForSession(id: string) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
      const a = await repo.findById(id);
      if (!a) return null;
      const status = effectiveStatus(a, deps.clock.now());
      return { id: a.id, patientId: a.patientId, clinicianId: a.clinicianId, status, mode: a.mode };
    },

    /**
     * The clinician's day, in the clinician's own time zone, with each patient's name. Reading names
     * is a staff read of patient data: one audit row per patient shown, in the transaction that reads.
     */
    async clinicianDay(actor: Actor, q: { date?: string; clinicianId?: string }, meta: RequestMeta = {}) {
      const now = deps.clock.now();
      const clinicianId = actor.role === 'clinician' ? actor.userId : q.clinicianId;
      if (!clinicianId)
        throw Errors.validation('clinicianId is required.', [
          { path: 'query.clinicianId', message: 'is required' },
        ]);
      const clinician = await deps.catalog.getClinician(clinicianId);
      if (!clinician) throw Errors.notFound('Clinician', clinicianId);
      const zone = clinician.timeZone;
      const day = q.date ?? now.toLocaleDateString('en-CA', { timeZone: zone });
      const { from, to } = dayRange(day, zone);
      const views = await toViews(await repo.listForClinician(clinicianId, from, to), now);
      const names = await patientNames(actor, [...new Set(views.map((v) => v.patientId))], meta);
      return {
        date: day,
        timeZone: zone,
        appointments: views.map((v) => ({ ...v, patient: { fullName: names.get(v.patientId) ?? null } })),
      };
    },

    /** Newest start first, a keyset page at a time (`{items, nextCursor}`). */
    async listForAdmin(filters: Omit<AdminFilters, 'after'> & { cursor?: string }) {
      const now = deps.clock.now();
      const { cursor, limit, ...rest } = filters;
      const after = decodeCursor(cursor, ['instant', 'uuid']) as [string, string] | undefined;
      const rows = await repo.listForAdmin({ ...rest, limit: limit + 1, ...(after ? { after } : {}) });
      const page = toPage(rows, limit, (r) => [r.cursorAt, r.id]);
      return {
        ...page,
        items: await toViews(
          page.items.map(({ cursorAt: _, ...r }) => r),
          now,
        ),
      };
    },
  };
}
