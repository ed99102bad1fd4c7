import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  isNull,
  lt,
  ne,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { Role } from '../../platform/auth.js';
import { createStatementCache } from '../../platform/db/prebuilt.js';
import type { Db } from '../../platform/db/uow.js';
import { exactInstant } from '../../platform/paging.js';
import type { OtpPurpose } from './identity.rules.js';
import { authSessions, clinicianProfiles, otpRequests, patientProfiles, users } from './identity.table.js';

export type UserRow = typeof users.$inferSelect;
export type PatientProfileRow = typeof patientProfiles.$inferSelect;
export type ClinicianProfileRow = typeof clinicianProfiles.$inferSelect;
export type OtpRequestRow = typeof otpRequests.$inferSelect;
export type SessionRow = typeof authSessions.$inferSelect;
export type RevokeReason = NonNullable<SessionRow['revokedReason']>;

/** SQL of the identity tables, one query per method; `db` is a transaction's handle or the pool's. */
const statements = createStatementCache();

export const identityRepository = {
  /** Serialises OTP requests per key (a phone, an IP) until the transaction ends. */
  async lockKey(db: Db, key: string): Promise<void> {
    await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 72002))`);
  },

  /** Per flow: the staff flow asked about a patient's phone never uses up the patient's quota. */
  async listRecentOtpTimesByPhone(
    db: Db,
    phone: string,
    purpose: OtpPurpose,
    since: Date,
    limit: number,
  ): Promise<Date[]> {
    const rows = await db
      .select({ createdAt: otpRequests.createdAt })
      .from(otpRequests)
      .where(
        and(eq(otpRequests.phone, phone), eq(otpRequests.purpose, purpose), gt(otpRequests.createdAt, since)),
      )
      .orderBy(desc(otpRequests.createdAt))
      .limit(limit);
    return rows.map((r) => r.createdAt);
  },

  async listRecentOtpTimesByIp(db: Db, ip: string, since: Date, limit: number): Promise<Date[]> {
    const rows = await db
      .select({ createdAt: otpRequests.createdAt })
      .from(otpRequests)
      .where(and(eq(otpRequests.requestIp, ip), gt(otpRequests.createdAt, since)))
      .orderBy(desc(otpRequests.createdAt))
      .limit(limit);
    return rows.map((r) => r.createdAt);
  },

  async insertOtpRequest(db: Db, row: typeof otpRequests.$inferInsert): Promise<void> {
    await db.insert(otpRequests).values(row);
  },

  /** The newest code for a phone and purpose, locked: attempts are counted one at a time. */
  async findLatestOtpForUpdate(db: Db, phone: string, purpose: OtpPurpose): Promise<OtpRequestRow | null> {
    const rows = await db
      .select()
      .from(otpRequests)
      .where(and(eq(otpRequests.phone, phone), eq(otpRequests.purpose, purpose)))
      .orderBy(desc(otpRequests.createdAt))
      .limit(1)
      .for('update');
    return rows[0] ?? null;
  },

  async markOtpConsumed(db: Db, id: string, now: Date): Promise<void> {
    await db.update(otpRequests).set({ consumedAt: now }).where(eq(otpRequests.id, id));
  },

  async recordOtpWrongTry(db: Db, id: string, lockAt: Date | null): Promise<void> {
    await db
      .update(otpRequests)
      .set({ attempts: sql`${otpRequests.attempts} + 1`, ...(lockAt ? { lockedAt: lockAt } : {}) })
      .where(eq(otpRequests.id, id));
  },

  async findUserById(db: Db, id: string): Promise<UserRow | null> {
    const rows = await db.select().from(users).where(eq(users.id, id));
    return rows[0] ?? null;
  },

  async findUserByPhone(db: Db, phone: string): Promise<UserRow | null> {
    const rows = await db.select().from(users).where(eq(users.phone, phone));
    return rows[0] ?? null;
  },

  /** The patient (role patient, with a profile) holding this phone, if any. */
  async findPatientByPhone(db: Db, phone: string): Promise<UserRow | null> {
    const rows = await db
      .select({ user: users })
      .from(users)
      .innerJoin(patientProfiles, eq(patientProfiles.userId, users.id))
      .where(and(eq(users.phone, phone), eq(users.role, 'patient')));
    return rows[0]?.user ?? null;
  },

  /** Inserts a user unless the phone is taken; null when it was (someone else created it first). */
  async insertUser(
    db: Db,
    row: { phone: string; role: Role; fullName?: string | null; email?: string | null; now: Date },
  ): Promise<UserRow | null> {
    const rows = await db
      .insert(users)
      .values({
        phone: row.phone,
        role: row.role,
        fullName: row.fullName ?? null,
        email: row.email ?? null,
        createdAt: row.now,
        updatedAt: row.now,
      })
      .onConflictDoNothing({ target: users.phone })
      .returning();
    return rows[0] ?? null;
  },

  /** Fills name and email only where still empty: a login never overwrites what the patient saved. */
  async fillMissingContact(db: Db, id: string, v: { fullName?: string; email?: string }, now: Date) {
    const rows = await db
      .update(users)
      .set({
        fullName: sql`coalesce(${users.fullName}, ${v.fullName ?? null})`,
        email: sql`coalesce(${users.email}, ${v.email ?? null})`,
        updatedAt: now,
      })
      .where(eq(users.id, id))
      .returning();
    return rows[0]!;
  },

  async updateUser(
    db: Db,
    id: string,
    set: Partial<Pick<UserRow, 'fullName' | 'email' | 'isActive'>>,
    now: Date,
  ) {
    const rows = await db
      .update(users)
      .set({ ...set, updatedAt: now })
      .where(eq(users.id, id))
      .returning();
    return rows[0] ?? null;
  },

  async listUsersByRole(db: Db, roles: Role[], opts: { activeOnly?: boolean; limit?: number } = {}) {
    return db
      .select()
      .from(users)
      .where(and(inArray(users.role, roles), opts.activeOnly ? eq(users.isActive, true) : undefined))
      .orderBy(asc(users.createdAt), asc(users.id))
      .limit(opts.limit ?? 1000);
  },

  /** Admins' user list, oldest first: `after` is the (`cursorAt`, id) keyset of the previous page's last row. */
  async listUsersPage(db: Db, f: { roles: Role[]; after?: [string, string]; limit: number }) {
    return db
      .select({ ...getTableColumns(users), cursorAt: exactInstant(users.createdAt) })
      .from(users)
      .where(
        and(
          inArray(users.role, f.roles),
          f.after
            ? sql`(${users.createdAt}, ${users.id}) > (${f.after[0]}::timestamptz, ${f.after[1]}::uuid)`
            : undefined,
        ),
      )
      .orderBy(asc(users.createdAt), asc(users.id))
      .limit(f.limit);
  },

  async insertPatientProfile(db: Db, userId: string, now: Date): Promise<void> {
    await db
      .insert(patientProfiles)
      .values({ userId, createdAt: now, updatedAt: now })
      .onConflictDoNothing({ target: patientProfiles.userId });
  },

  async findPatientProfile(db: Db, userId: string): Promise<PatientProfileRow | null> {
    const rows = await db.select().from(patientProfiles).where(eq(patientProfiles.userId, userId));
    return rows[0] ?? null;
  },

  async findPatientProfileForUpdate(db: Db, userId: string): Promise<PatientProfileRow | null> {
    const rows = await db
      .select()
      .from(patientProfiles)
      .where(eq(patientProfiles.userId, userId))
      .for('update');
    return rows[0] ?? null;
  },

  async updatePatientProfile(
    db: Db,
    userId: string,
    set: Partial<Pick<PatientProfileRow, 'dateOfBirth' | 'gender' | 'address' | 'emergencyContact'>>,
    now: Date,
  ): Promise<void> {
    await db
      .update(patientProfiles)
      .set({ ...set, updatedAt: now })
      .where(eq(patientProfiles.userId, userId));
  },

  async insertClinicianProfile(
    db: Db,
    row: Omit<typeof clinicianProfiles.$inferInsert, 'createdAt' | 'updatedAt'>,
    now: Date,
  ) {
    await db.insert(clinicianProfiles).values({ ...row, createdAt: now, updatedAt: now });
  },

  /** A clinician user with their profile in one read (on every booking's path), or null. */
  /**
   * An active clinician's profile as one json select-list column (null when none), for another
   * module's statement that carries it along (a booking's one pre-read, issue 12).
   */
  clinicianProfileColumn(id: string, as: string): SQL {
    return sql`(select json_build_object('id', u.id, 'fullName', u.full_name, 'specialization', p.specialization,
                  'timeZone', p.time_zone, 'isActive', u.is_active)
                  from ${users} u join ${clinicianProfiles} p on p.user_id = u.id
                 where u.id = ${id} and u.role = 'clinician' and u.is_active) as ${sql.identifier(as)}`;
  },

  async findClinicianWithProfile(db: Db, id: string) {
    const rows = await db
      .select({ user: users, profile: clinicianProfiles })
      .from(users)
      .innerJoin(clinicianProfiles, eq(clinicianProfiles.userId, users.id))
      .where(and(eq(users.id, id), eq(users.role, 'clinician')));
    return rows[0] ?? null;
  },

  async findClinicianProfile(db: Db, userId: string): Promise<ClinicianProfileRow | null> {
    const rows = await db.select().from(clinicianProfiles).where(eq(clinicianProfiles.userId, userId));
    return rows[0] ?? null;
  },

  async listClinicianProfiles(db: Db, userIds: string[]): Promise<ClinicianProfileRow[]> {
    if (userIds.length === 0) return [];
    return db.select().from(clinicianProfiles).where(inArray(clinicianProfiles.userId, userIds));
  },

  async insertSession(db: Db, row: typeof authSessions.$inferInsert): Promise<SessionRow> {
    const rows = await db.insert(authSessions).values(row).returning();
    return rows[0]!;
  },

  /** The session a refresh token names, locked: two refreshes of one token are decided one at a time. */
  async findSessionByTokenHashForUpdate(db: Db, hash: string): Promise<SessionRow | null> {
    const rows = await db
      .select()
      .from(authSessions)
      .where(eq(authSessions.refreshTokenHash, hash))
      .for('update');
    return rows[0] ?? null;
  },

  async markSessionRotated(db: Db, id: string, now: Date): Promise<void> {
    await db.update(authSessions).set({ rotatedAt: now }).where(eq(authSessions.id, id));
  },

  async revokeFamily(db: Db, familyId: string, now: Date, reason: RevokeReason): Promise<number> {
    const rows = await db
      .update(authSessions)
      .set({ revokedAt: now, revokedReason: reason })
      .where(and(eq(authSessions.familyId, familyId), isNull(authSessions.revokedAt)))
      .returning({ id: authSessions.id });
    return rows.length;
  },

  async revokeUserSessions(db: Db, userId: string, now: Date, reason: RevokeReason): Promise<number> {
    const rows = await db
      .update(authSessions)
      .set({ revokedAt: now, revokedReason: reason })
      .where(and(eq(authSessions.userId, userId), isNull(authSessions.revokedAt)))
      .returning({ id: authSessions.id });
    return rows.length;
  },

  async deleteOtpRequestsBefore(db: Db, before: Date): Promise<number> {
    const rows = await db
      .delete(otpRequests)
      .where(lt(otpRequests.createdAt, before))
      .returning({ id: otpRequests.id });
    return rows.length;
  },

  async deleteSessionsExpiredBefore(db: Db, before: Date): Promise<number> {
    const rows = await db
      .delete(authSessions)
      .where(lt(authSessions.expiresAt, before))
      .returning({ id: authSessions.id });
    return rows.length;
  },

  /**
   * The user behind a live session: not revoked, not expired, its user still active. Rotation alone
   * does not end a session's access tokens.
   */
  /** On every authenticated request: built once (see createStatementCache). */
  async findLiveSessionUser(
    db: Db,
    sessionId: string,
    now: Date,
  ): Promise<{ userId: string; role: Role } | null> {
    const rows = await statements<{ userId: string; role: Role }>(
      db,
      'findLiveSessionUser',
      () =>
        db
          .select({ userId: users.id, role: users.role })
          .from(authSessions)
          .innerJoin(users, eq(users.id, authSessions.userId))
          .where(
            and(
              eq(authSessions.id, sql.placeholder('sessionId')),
              isNull(authSessions.revokedAt),
              eq(users.isActive, true),
              gte(authSessions.expiresAt, sql.placeholder('now')),
            ),
          ),
      { sessionId, now },
    );
    return rows[0] ?? null;
  },

  async findSessionById(db: Db, id: string): Promise<SessionRow | null> {
    const rows = await db.select().from(authSessions).where(eq(authSessions.id, id));
    return rows[0] ?? null;
  },

  async markSessionRotatedInto(
    db: Db,
    id: string,
    next: { at: Date; sessionId: string; sealedToken: string },
  ): Promise<void> {
    await db
      .update(authSessions)
      .set({ rotatedAt: next.at, replacedBy: next.sessionId, nextTokenSealed: next.sealedToken })
      .where(eq(authSessions.id, id));
  },

  /** The user's sessions not yet revoked, rotated or expired: one per live login (family). */
  async listLiveSessions(db: Db, userId: string, now: Date): Promise<SessionRow[]> {
    return db
      .select()
      .from(authSessions)
      .where(
        and(
          eq(authSessions.userId, userId),
          isNull(authSessions.revokedAt),
          isNull(authSessions.rotatedAt),
          gte(authSessions.expiresAt, now),
        ),
      )
      .orderBy(desc(authSessions.createdAt))
      .limit(200);
  },

  /** Revokes the user's families other than `keepFamilyId` (or only `familyId` when given). */
  async revokeUserFamilies(
    db: Db,
    userId: string,
    now: Date,
    which: { keepFamilyId: string } | { familyId: string },
  ): Promise<number> {
    const rows = await db
      .update(authSessions)
      .set({ revokedAt: now, revokedReason: 'signed_out' })
      .where(
        and(
          eq(authSessions.userId, userId),
          isNull(authSessions.revokedAt),
          'familyId' in which
            ? eq(authSessions.familyId, which.familyId)
            : ne(authSessions.familyId, which.keepFamilyId),
        ),
      )
      .returning({ id: authSessions.id });
    return rows.length;
  },
};
