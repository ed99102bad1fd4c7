import type { ClinicianSummary, IdentityService } from '../identity/index.js';

/** What catalog uses of identity's service (its public type, narrowed). */
export type CatalogIdentity = Pick<
  IdentityService,
  'getUser' | 'findUserByPhone' | 'getClinician' | 'listClinicians' | 'within' | 'clinicianProfileColumn'
>;

/** A clinician as identity knows them; the catalog adds centres, modes and fees. */
export type ClinicianProfile = {
  id: string;
  fullName: string;
  specialization: string;
  timeZone: string;
  isActive: boolean;
  bio: string | null;
  languages: string[];
};

const toProfile = (c: ClinicianSummary): ClinicianProfile => ({
  id: c.id,
  fullName: c.fullName ?? '',
  specialization: c.clinician.specialization,
  timeZone: c.clinician.timeZone,
  isActive: c.isActive,
  bio: c.clinician.bio ?? null,
  languages: c.clinician.languages ?? [],
});

/**
 * Active clinicians with a profile (all of them when `ids` is omitted): one lookup for one id, the
 * active list otherwise. `reads` is identity's service, or its reads bound to a transaction.
 */
export async function clinicianProfiles(
  reads: {
    getClinician: IdentityService['getClinician'];
    listClinicians?: IdentityService['listClinicians'];
  },
  ids?: string[],
): Promise<ClinicianProfile[]> {
  if (ids && ids.length <= 1) {
    const c = ids[0] ? await reads.getClinician(ids[0]) : null;
    return c?.isActive ? [toProfile(c)] : [];
  }
  if (!reads.listClinicians) {
    const found = await Promise.all((ids ?? []).map((id) => reads.getClinician(id)));
    return found.flatMap((c) => (c?.isActive ? [toProfile(c)] : []));
  }
  const all = (await reads.listClinicians()).map(toProfile);
  if (!ids) return all;
  const wanted = new Set(ids);
  return all.filter((c) => wanted.has(c.id));
}
