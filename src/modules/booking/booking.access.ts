import type { Actor } from '../../platform/auth.js';
import type { Appointment } from './booking.repository.js';

/** Who may see an appointment at all; anyone else gets a 404, as if it did not exist. */
export const canSee = (
  actor: Pick<Actor, 'userId' | 'role'>,
  a: Pick<Appointment, 'patientId' | 'clinicianId'>,
) =>
  actor.role === 'admin' ||
  actor.role === 'staff' ||
  (actor.role === 'patient' && a.patientId === actor.userId) ||
  (actor.role === 'clinician' && a.clinicianId === actor.userId);
