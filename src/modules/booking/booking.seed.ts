import { DEMO_PHONES } from '../identity/index.js';
import type { BookingDeps } from './booking.ports.js';
import type { BookingService } from './booking.service.js';

const DAY = 86_400_000;

/**
 * Demo data: the `vise` demo patient (who has a relationship with the first demo clinician) gets
 * a free, confirmed online appointment a few days ahead, so the dashboards have something to show.
 * Availability, plans and the relationship come from scheduling and catalog, which seed first.
 */
export async function seedBookingDemo(
  deps: Pick<BookingDeps, 'clock' | 'log' | 'identity' | 'scheduling'>,
  service: BookingService,
): Promise<void> {
  const [patient, clinician] = await Promise.all([
    deps.identity.findUserByPhone(DEMO_PHONES.patients[0]),
    deps.identity.findUserByPhone(DEMO_PHONES.clinicians[0]),
  ]);
  if (!patient || !clinician) return;
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
