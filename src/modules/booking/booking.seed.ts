import { DEMO_PHONES } from '../identity/index.js';
import type { BookingDeps, BookingService } from './booking.service.js';

const DAY = 86_400_000;

/**
 * Demo data: the `vise` demo patient (catalog gives them a relationship with one demo clinician) gets
 * a free, confirmed online appointment a few days ahead, so the dashboards have something to show.
 * Availability, plans and the relationship come from scheduling and catalog, which seed first.
 */
export async function seedBookingDemo(
  deps: Pick<BookingDeps, 'clock' | 'log' | 'identity' | 'scheduling' | 'catalog'>,
  service: BookingService,
): Promise<void> {
  const patient = await deps.identity.findUserByPhone(DEMO_PHONES.patients[0]);
  if (!patient) return;
  const clinicians = await Promise.all(DEMO_PHONES.clinicians.map((p) => deps.identity.findUserByPhone(p)));
  let clinician: { id: string } | null = null;
  for (const c of clinicians)
    if (c && (await deps.catalog.planPolicyFor(patient.id, c.id)).policy === 'free') {
      clinician = c;
      break;
    }
  if (!clinician) return;
  const now = deps.clock.now().getTime();
  const from = new Date(now + 3 * DAY).toISOString().slice(0, 10);
  const to = new Date(now + 10 * DAY).toISOString().slice(0, 10);
  try {
    const { slots } = await deps.scheduling.listSlots(clinician.id, { from, to, mode: 'online' });
    const slot = slots.find((s) => s.status === 'available');
    if (!slot) return;
    await service.initiateBooking(
      { userId: patient.id, role: 'patient', sessionId: 'demo-seed' },
      { clinicianId: clinician.id, startAt: new Date(slot.startAt), mode: 'online' },
    );
  } catch (err) {
    // Demo data is a convenience: a booking rule refusing it must not stop the app starting.
    deps.log.warn({ err }, 'booking demo appointment not created');
  }
}
