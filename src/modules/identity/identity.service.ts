import { drizzle } from 'drizzle-orm/node-postgres';
import { type AuditActor, audit, type RequestMeta } from '../../platform/audit.js';
import type { Actor, Role } from '../../platform/auth.js';
import type { Db, Tx } from '../../platform/db/uow.js';
import { AppError, Errors } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { decodeCursor, toPage } from '../../platform/paging.js';
import { parsePhoneOrThrow } from './identity.otp.js';
import { type ClinicianProfileRow, identityRepository as repo, type UserRow } from './identity.repository.js';
import type { StaffRole } from './identity.rules.js';

export type IdentityServiceDeps = Pick<Platform, 'config' | 'clock' | 'uow' | 'pool'>;

/** The user shape other modules see (module-contracts.md). */
export type User = {
  id: string;
  phone: string;
  email: string | null;
  fullName: string | null;
  role: Role;
  isActive: boolean;
};
export type ClinicianSummary = User & {
  clinician: Pick<
    ClinicianProfileRow,
    'specialization' | 'registrationNumber' | 'timeZone' | 'languages' | 'bio'
  >;
};

export type NewStaffUser = {
  role: StaffRole;
  phone: string;
  fullName: string;
  email?: string | null;
  specialization?: string;
  timeZone?: string;
  registrationNumber?: string | null;
  languages?: string[];
  bio?: string | null;
};

export const toUser = (u: UserRow): User => ({
  id: u.id,
  phone: u.phone,
  email: u.email,
  fullName: u.fullName,
  role: u.role,
  isActive: u.isActive,
});

const isZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** Users and their roles: lookups for other modules, staff accounts for admins and the CLI. */
export function makeIdentityService(deps: IdentityServiceDeps) {
  const { clock, uow } = deps;
  const db: Db = drizzle(deps.pool, { casing: 'snake_case' });

  async function getUser(id: string): Promise<User | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const row = await repo.findUserById(db, id);
    return row ? toUser(row) : null;
  }

  async function findUserByPhone(phoneInput: string): Promise<User | null> {
    const phone = parsePhoneOrThrow(phoneInput, deps.config.defaultRegion, 'phone');
    const row = await repo.findUserByPhone(db, phone);
    return row ? toUser(row) : null;
  }

  /** Active users of a role, oldest first (e.g. admins to notify, clinicians to list in the catalog). */
  async function listUsersByRole(role: Role): Promise<User[]> {
    return (await repo.listUsersByRole(db, [role], { activeOnly: true })).map(toUser);
  }

  /** Active clinicians with their profiles. */
  async function listClinicians(): Promise<ClinicianSummary[]> {
    const list = await repo.listUsersByRole(db, ['clinician'], { activeOnly: true });
    const profiles = new Map(
      (
        await repo.listClinicianProfiles(
          db,
          list.map((u) => u.id),
        )
      ).map((p) => [p.userId, p]),
    );
    return list.flatMap((u) => {
      const p = profiles.get(u.id);
      if (!p) return [];
      const { specialization, registrationNumber, timeZone, languages, bio } = p;
      return [{ ...toUser(u), clinician: { specialization, registrationNumber, timeZone, languages, bio } }];
    });
  }

  /** One clinician with their profile, or null (also for a user who is not a clinician). */
  async function getClinician(id: string): Promise<ClinicianSummary | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const found = await repo.findClinicianWithProfile(db, id);
    if (!found) return null;
    const { specialization, registrationNumber, timeZone, languages, bio } = found.profile;
    return {
      ...toUser(found.user),
      clinician: { specialization, registrationNumber, timeZone, languages, bio },
    };
  }

  /**
   * The same reads on the caller's transaction, for other modules inside their unit of work
   * (docs/module-contracts.md: no second connection while a transaction is open).
   */
  function within(tx: Pick<Tx, 'db'>) {
    return {
      async getUser(id: string): Promise<User | null> {
        if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
        const row = await repo.findUserById(tx.db, id);
        return row ? toUser(row) : null;
      },
      async listUsersByRole(role: Role): Promise<User[]> {
        return (await repo.listUsersByRole(tx.db, [role], { activeOnly: true })).map(toUser);
      },
      async getClinician(id: string): Promise<ClinicianSummary | null> {
        const user = /^[0-9a-f-]{36}$/i.test(id) ? await repo.findUserById(tx.db, id) : null;
        if (user?.role !== 'clinician') return null;
        const p = await repo.findClinicianProfile(tx.db, id);
        if (!p) return null;
        const { specialization, registrationNumber, timeZone, languages, bio } = p;
        return {
          ...toUser(user),
          clinician: { specialization, registrationNumber, timeZone, languages, bio },
        };
      },
    };
  }

  /** Creates a clinician, staff or admin account (admin API and `carebook admin create-user`). */
  async function createStaffUser(input: NewStaffUser, by: AuditActor, meta: RequestMeta = {}): Promise<User> {
    const phone = parsePhoneOrThrow(input.phone, deps.config.defaultRegion);
    if (input.role === 'clinician') {
      if (!input.specialization?.trim())
        throw Errors.validation('A clinician needs a specialization.', [
          { path: 'body.specialization', message: 'is required for clinicians' },
        ]);
      if (input.timeZone && !isZone(input.timeZone))
        throw Errors.validation('Unknown time zone.', [
          { path: 'body.timeZone', message: 'is not an IANA time zone' },
        ]);
    }
    const now = clock.now();
    return uow(async (tx) => {
      const user = await repo.insertUser(tx.db, {
        phone,
        role: input.role,
        fullName: input.fullName.trim(),
        email: input.email ?? null,
        now,
      });
      if (!user) throw Errors.conflict('PHONE_IN_USE', 'A user with this phone number already exists.');
      if (input.role === 'clinician')
        await repo.insertClinicianProfile(
          tx.db,
          {
            userId: user.id,
            specialization: input.specialization!.trim(),
            timeZone: input.timeZone ?? 'Asia/Kolkata',
            registrationNumber: input.registrationNumber ?? null,
            languages: input.languages ?? [],
            bio: input.bio ?? null,
          },
          now,
        );
      await audit.record(tx, {
        ...meta,
        actor: by,
        action: 'user.create',
        resourceType: 'user',
        resourceId: user.id,
        changedFields: [
          'role',
          'phone',
          'fullName',
          ...(input.role === 'clinician' ? ['clinicianProfile'] : []),
        ],
      });
      return toUser(user);
    });
  }

  /** Activates or deactivates an account; deactivation ends every session at once. */
  async function setUserActive(
    actor: Actor,
    userId: string,
    isActive: boolean,
    meta: RequestMeta,
  ): Promise<User> {
    if (actor.userId === userId && !isActive)
      throw new AppError(409, 'CANNOT_DEACTIVATE_SELF', 'Admins cannot deactivate their own account.');
    const now = clock.now();
    return uow(async (tx) => {
      const user = await repo.updateUser(tx.db, userId, { isActive }, now);
      if (!user) throw Errors.notFound('User', userId);
      if (!isActive) await repo.revokeUserSessions(tx.db, userId, now, 'deactivated');
      await audit.record(tx, {
        ...meta,
        actor,
        action: isActive ? 'user.activate' : 'user.deactivate',
        resourceType: 'user',
        resourceId: userId,
        changedFields: ['isActive'],
      });
      return toUser(user);
    });
  }

  /** Oldest first, a keyset page at a time (`{items, nextCursor}`): users added meanwhile land on later pages. */
  async function listUsers(filter: { role?: Role; limit: number; cursor?: string }) {
    const roles: Role[] = filter.role ? [filter.role] : ['patient', 'clinician', 'staff', 'admin'];
    const after = decodeCursor(filter.cursor, ['instant', 'uuid']) as [string, string] | undefined;
    const rows = await repo.listUsersPage(db, {
      roles,
      limit: filter.limit + 1,
      ...(after ? { after } : {}),
    });
    const page = toPage(rows, filter.limit, (u) => [u.cursorAt, u.id]);
    return { ...page, items: page.items.map(toUser) };
  }

  return {
    getUser,
    within,
    /** See the repository's `clinicianProfileColumn`: the active clinician as `{ id, fullName, specialization, timeZone, isActive }`. */
    clinicianProfileColumn: (id: string, as: string) => repo.clinicianProfileColumn(id, as),
    findUserByPhone,
    listUsersByRole,
    listClinicians,
    getClinician,
    listUsers,
    createStaffUser,
    setUserActive,
  };
}
export type IdentityService = ReturnType<typeof makeIdentityService>;
