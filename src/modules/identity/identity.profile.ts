import { audit, type RequestMeta } from '../../platform/audit.js';
import type { Actor } from '../../platform/auth.js';
import { AppError, Errors, type FieldError } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { parsePhoneOrThrow } from './identity.otp.js';
import { type PatientProfileRow, identityRepository as repo, type UserRow } from './identity.repository.js';
import { changedFieldNames, dateOfBirthProblem } from './identity.rules.js';

export type ProfileDeps = Pick<Platform, 'config' | 'clock' | 'uow'>;

export type PatientProfile = {
  id: string;
  phone: string;
  fullName: string | null;
  email: string | null;
  role: UserRow['role'];
  dateOfBirth: string | null;
  gender: PatientProfileRow['gender'];
  address: PatientProfileRow['address'];
  emergencyContact: PatientProfileRow['emergencyContact'];
};

export type ProfilePatch = {
  fullName?: string;
  email?: string | null;
  dateOfBirth?: string | null;
  gender?: PatientProfileRow['gender'];
  address?: PatientProfileRow['address'];
  emergencyContact?: PatientProfileRow['emergencyContact'];
};

const toProfile = (u: UserRow, p: PatientProfileRow): PatientProfile => ({
  id: u.id,
  phone: u.phone,
  fullName: u.fullName,
  email: u.email,
  role: u.role,
  dateOfBirth: p.dateOfBirth,
  gender: p.gender,
  address: p.address,
  emergencyContact: p.emergencyContact,
});

/** Who may read a patient's profile: the patient, and the clinic's staff and admins. */
const mayRead = (actor: Actor, patientId: string) =>
  actor.userId === patientId || actor.role === 'staff' || actor.role === 'admin';

/** Patient profiles. Every read and write leaves an audit row (field names only, never values). */
export function makeProfileService(deps: ProfileDeps) {
  const { clock, uow, config } = deps;

  /** Another patient's profile is a 404, exactly like a profile that does not exist. */
  async function getProfile(actor: Actor, patientId: string, meta: RequestMeta): Promise<PatientProfile> {
    if (!mayRead(actor, patientId) || !/^[0-9a-f-]{36}$/i.test(patientId))
      throw Errors.notFound('Patient', patientId);
    return uow(async (tx) => {
      const user = await repo.findUserById(tx.db, patientId);
      const profile = user?.role === 'patient' ? await repo.findPatientProfile(tx.db, patientId) : null;
      if (!user || !profile) throw Errors.notFound('Patient', patientId);
      await audit.record(tx, {
        ...meta,
        actor,
        action: 'profile.read',
        resourceType: 'patient_profile',
        resourceId: patientId,
      });
      return toProfile(user, profile);
    });
  }

  /** The patient updates their own profile; fields left out stay as they are, null clears one. */
  async function updateProfile(
    actor: Actor,
    patch: ProfilePatch,
    meta: RequestMeta,
  ): Promise<PatientProfile> {
    const now = clock.now();
    const clean = normalisePatch(patch, now, config.defaultRegion);
    return uow(async (tx) => {
      const profile = await repo.findPatientProfileForUpdate(tx.db, actor.userId);
      const user = await repo.findUserById(tx.db, actor.userId);
      if (!user || !profile || user.role !== 'patient') throw Errors.notFound('Patient', actor.userId);
      const before = { ...toProfile(user, profile) } as Record<string, unknown>;
      const changed = changedFieldNames(before, clean as Record<string, unknown>);
      const { fullName, email, ...profileFields } = pick(clean, changed);
      let nextUser = user;
      if (fullName !== undefined || email !== undefined)
        nextUser = (await repo.updateUser(tx.db, user.id, { fullName, email }, now)) ?? user;
      if (Object.keys(profileFields).length)
        await repo.updatePatientProfile(tx.db, user.id, profileFields, now);
      await audit.record(tx, {
        ...meta,
        actor,
        action: 'profile.update',
        resourceType: 'patient_profile',
        resourceId: user.id,
        changedFields: changed,
      });
      return toProfile(nextUser, { ...profile, ...profileFields });
    });
  }

  return { getProfile, updateProfile };
}
export type ProfileService = ReturnType<typeof makeProfileService>;

function pick(patch: ProfilePatch, keys: string[]): ProfilePatch {
  return Object.fromEntries(keys.map((k) => [k, patch[k as keyof ProfilePatch]])) as ProfilePatch;
}

/** Checks what the schema cannot (dates against the clock, phone numbers) and normalises phones. */
function normalisePatch(patch: ProfilePatch, now: Date, region: string): ProfilePatch {
  const errors: FieldError[] = [];
  if (patch.dateOfBirth) {
    const problem = dateOfBirthProblem(patch.dateOfBirth, now);
    if (problem) errors.push({ path: 'body.dateOfBirth', message: problem });
  }
  let emergencyContact = patch.emergencyContact;
  if (emergencyContact) {
    try {
      emergencyContact = {
        ...emergencyContact,
        phone: parsePhoneOrThrow(emergencyContact.phone, region, 'body.emergencyContact.phone'),
      };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      errors.push({ path: 'body.emergencyContact.phone', message: 'is not a valid phone number' });
    }
  }
  if (errors.length)
    throw Errors.validation(
      `The profile is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
      errors,
    );
  return { ...patch, ...(emergencyContact !== undefined ? { emergencyContact } : {}) };
}
