import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const users = pgTable(
  'users',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** E.164, normalised with DEFAULT_REGION: one person, one row. */
    phone: text().notNull(),
    email: text(),
    fullName: text(),
    role: text({ enum: ['patient', 'clinician', 'staff', 'admin'] }).notNull(),
    isActive: boolean().notNull().default(true),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_phone_key').on(t.phone),
    check('users_role_check', sql`${t.role} in ('patient', 'clinician', 'staff', 'admin')`),
    check('users_phone_e164', sql`${t.phone} ~ '^\\+[1-9][0-9]{6,14}$'`),
  ],
);

export const patientProfiles = pgTable('patient_profiles', {
  userId: uuid()
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  dateOfBirth: date({ mode: 'string' }),
  gender: text({ enum: ['female', 'male', 'other', 'undisclosed'] }),
  address: jsonb().$type<{
    line1?: string;
    line2?: string;
    city?: string;
    state?: string;
    postalCode?: string;
    country?: string;
  }>(),
  emergencyContact: jsonb().$type<{ name: string; phone: string; relationship?: string }>(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const clinicianProfiles = pgTable('clinician_profiles', {
  userId: uuid()
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  specialization: text().notNull(),
  registrationNumber: text(),
  /** IANA zone the clinician's weekly availability is written in. */
  timeZone: text().notNull(),
  languages: text().array().notNull().default(sql`'{}'::text[]`),
  bio: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const otpRequests = pgTable(
  'otp_requests',
  {
    id: uuid().primaryKey().defaultRandom(),
    phone: text().notNull(),
    /** HMAC-SHA256(OTP_SECRET, phone:code); the code itself is never stored. */
    otpHash: text().notNull(),
    purpose: text({ enum: ['patient_login', 'staff_login'] }).notNull(),
    attempts: integer().notNull().default(0),
    requestIp: text(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    consumedAt: timestamp({ withTimezone: true }),
    lockedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    check('otp_requests_attempts_check', sql`${t.attempts} >= 0`),
    index('otp_requests_phone_created').on(t.phone, t.createdAt),
    index('otp_requests_ip_created').on(t.requestIp, t.createdAt),
  ],
);

export const authSessions = pgTable(
  'auth_sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** All sessions rotated from one login share a family; reuse of a rotated token revokes the family. */
    familyId: uuid().notNull(),
    /** SHA-256 of the refresh token; the token itself is never stored. */
    refreshTokenHash: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    /** The family's absolute end (patients 30 days, team 12 hours from login); rotation never extends it. */
    familyExpiresAt: timestamp({ withTimezone: true }),
    rotatedAt: timestamp({ withTimezone: true }),
    /** The session this one was rotated into. */
    replacedBy: uuid(),
    /**
     * The successor's refresh token, AES-256-GCM sealed under a key derived from this session's own
     * token: a second tab presenting the same token within seconds gets the same new token back.
     */
    nextTokenSealed: text(),
    revokedAt: timestamp({ withTimezone: true }),
    /** Why it was revoked: logout, reuse of a rotated token, the user being deactivated, or signed out from another session. */
    revokedReason: text({ enum: ['logout', 'token_reused', 'deactivated', 'signed_out'] }),
    userAgent: text(),
    ip: text(),
  },
  (t) => [
    uniqueIndex('auth_sessions_token_key').on(t.refreshTokenHash),
    index('auth_sessions_family').on(t.familyId),
    index('auth_sessions_user').on(t.userId),
  ],
);

/** An admin's TOTP second factor; the secret is AES-256-GCM encrypted with TOTP_ENCRYPTION_KEY. */
export const userTotp = pgTable('user_totp', {
  userId: uuid()
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  secretSealed: text().notNull(),
  /** Null until the first code proves the authenticator app holds the secret. */
  confirmedAt: timestamp({ withTimezone: true }),
  /** The newest 30-second step a code was accepted for: a code works once. */
  lastUsedStep: integer(),
  createdAt: timestamp({ withTimezone: true }).notNull(),
});
