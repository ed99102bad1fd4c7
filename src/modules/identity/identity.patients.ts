import { audit, type RequestMeta } from '../../platform/audit.js';
import type { Actor } from '../../platform/auth.js';
import { Errors } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { parsePhoneOrThrow } from './identity.otp.js';
import { identityRepository as repo, type UserRow } from './identity.repository.js';

export type PatientDirectoryDeps = Pick<Platform, 'config' | 'clock' | 'uow'>;

/** What the front desk sees of a patient: enough to recognise them and book on their behalf. */
export type PatientContact = { id: string; fullName: string | null; phone: string; email: string | null };

const toContact = (u: UserRow): PatientContact => ({
  id: u.id,
  fullName: u.fullName,
  phone: u.phone,
  email: u.email,
});

export type WalkInPatient = { phone: string; fullName: string; email?: string };

/**
 * Front desk and admins find a patient by phone and register walk-ins. Both are audited in the
 * transaction that reads or writes (field names only: the phone never reaches the trail).
 */
export function makePatientDirectory(deps: PatientDirectoryDeps) {
  const { clock, uow, config } = deps;

  /** At most one patient: phones are unique. A team member's phone is not a patient (empty list). */
  async function findPatientsByPhone(
    actor: Actor,
    phoneInput: string,
    meta: RequestMeta,
  ): Promise<PatientContact[]> {
    const phone = parsePhoneOrThrow(phoneInput, config.defaultRegion, 'querystring.phone');
    return uow(async (tx) => {
      const user = await repo.findPatientByPhone(tx.db, phone);
      await audit.record(tx, {
        ...meta,
        actor,
        action: 'patient.lookup',
        resourceType: 'patient_profile',
        resourceId: user?.id ?? null,
      });
      return user ? [toContact(user)] : [];
    });
  }

  /** A patient account exactly as an OTP sign-up makes it (user + profile); they sign in later with the same phone. */
  async function registerPatient(
    actor: Actor,
    input: WalkInPatient,
    meta: RequestMeta,
  ): Promise<PatientContact> {
    const phone = parsePhoneOrThrow(input.phone, config.defaultRegion);
    const now = clock.now();
    return uow(async (tx) => {
      const user = await repo.insertUser(tx.db, {
        phone,
        role: 'patient',
        fullName: input.fullName.trim(),
        email: input.email ?? null,
        now,
      });
      if (!user) throw Errors.conflict('PHONE_IN_USE', 'A user with this phone number already exists.');
      await repo.insertPatientProfile(tx.db, user.id, now);
      await audit.record(tx, {
        ...meta,
        actor,
        action: 'user.create',
        resourceType: 'user',
        resourceId: user.id,
        changedFields: ['role', 'phone', 'fullName', ...(input.email ? ['email'] : []), 'patientProfile'],
      });
      return toContact(user);
    });
  }

  return { findPatientsByPhone, registerPatient };
}
export type PatientDirectory = ReturnType<typeof makePatientDirectory>;
