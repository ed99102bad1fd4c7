import type { IdentityService } from '../identity/index.js';

/** A clinician as identity knows them; the catalog adds centres, modes and fees. */
export type ClinicianProfile = {
  id: string;
  fullName: string;
  specialization: string;
  timeZone: string;
  isActive: boolean;
};

/** What catalog needs from identity, narrowed. */
export type IdentityPort = {
  getUser(id: string): Promise<{ id: string; role: string; fullName: string | null } | null>;
  findUserByPhone(phone: string): Promise<{ id: string; role: string } | null>;
  /** Active clinicians with a profile; all of them when `ids` is omitted. */
  listClinicians(ids?: string[]): Promise<ClinicianProfile[]>;
};

type ClinicianSummary = NonNullable<Awaited<ReturnType<IdentityService['getClinician']>>>;
const toProfile = (c: ClinicianSummary): ClinicianProfile => ({
  id: c.id,
  fullName: c.fullName ?? '',
  specialization: c.clinician.specialization,
  timeZone: c.clinician.timeZone,
  isActive: c.isActive,
});

/** The port over identity's service (one lookup for one id, the active list otherwise). */
export function identityPortFrom(
  identity: Pick<IdentityService, 'getUser' | 'findUserByPhone' | 'getClinician' | 'listClinicians'>,
): IdentityPort {
  return {
    getUser: (id) => identity.getUser(id),
    findUserByPhone: (phone) => identity.findUserByPhone(phone),
    async listClinicians(ids) {
      if (ids && ids.length <= 1) {
        const c = ids[0] ? await identity.getClinician(ids[0]) : null;
        return c?.isActive ? [toProfile(c)] : [];
      }
      const all = (await identity.listClinicians()).map(toProfile);
      if (!ids) return all;
      const wanted = new Set(ids);
      return all.filter((c) => wanted.has(c.id));
    },
  };
}
