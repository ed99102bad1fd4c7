import type { Actor } from '../../platform/auth.js';
import { Errors } from '../../platform/errors.js';
import type { Centre, Clinician } from '../catalog/index.js';
import { canSee } from './booking.access.js';
import { type AdminFilters, type Appointment, appointmentsRepository } from './booking.repository.js';
import { dayRange, effectiveStatus } from './booking.rules.js';
import type { BookingDeps } from './booking.service.js';

type Deps = Pick<BookingDeps, 'clock' | 'pool' | 'catalog' | 'payments' | 'video'>;

export type AppointmentView = {
  id: string;
  status: Appointment['status'];
  startAt: Date;
  endAt: Date;
  mode: Appointment['mode'];
  patientId: string;
  clinician: { id: string; fullName: string; specialization: string } | null;
  centre: Centre | null;
  payment: { status: string; amount: number; currency: string } | null;
  meetLink: string | null;
  holdExpiresAt: Date | null;
  source: Appointment['source'];
  bookedByUserId: string;
  cancelReason: string | null;
  noShowReview: boolean;
};

/** Read side: dashboards and the occupancy port for slot search. Reads use the pool, never a transaction. */
export function makeQueries(deps: Deps) {
  const repo = appointmentsRepository(deps.pool);

  /** Enriches appointments with clinician, centre, payment and meeting; one catalog read per clinician. */
  async function toViews(rows: Appointment[], now: Date): Promise<AppointmentView[]> {
    const clinicians = new Map<string, Promise<Clinician | null>>();
    const clinicianOf = (id: string) => {
      if (!clinicians.has(id)) clinicians.set(id, deps.catalog.getClinician(id));
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
          centre: (a.centreId && clinician?.centres.find((c) => c.id === a.centreId)) || null,
          payment: a.paymentId
            ? { status: payment?.status ?? 'UNKNOWN', amount: a.priceMinor, currency: a.currency }
            : null,
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

  return {
    toViews,
    listOccupancy: (clinicianId: string, from: Date, to: Date, now: Date) =>
      repo.listOccupancy(clinicianId, from, to, now),

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

    /** The clinician's day, in the clinician's own time zone. */
    async clinicianDay(actor: Actor, q: { date?: string; clinicianId?: string }) {
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
      return {
        date: day,
        timeZone: zone,
        appointments: await toViews(await repo.listForClinician(clinicianId, from, to), now),
      };
    },

    async listForAdmin(filters: AdminFilters) {
      const now = deps.clock.now();
      return toViews(await repo.listForAdmin(filters), now);
    },
  };
}
