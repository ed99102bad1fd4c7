import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

export const OTP_TTL_MINUTES = 10;
export const OTP_COOLDOWN_SECONDS = 30;
export const OTP_MAX_WRONG_TRIES = 5;
export const OTP_LIMIT_WINDOW_MS = 60 * 60_000;
export const REFRESH_TOKEN_TTL_DAYS = 7;
/** A login (refresh family) ends this long after it began, however often it is refreshed. */
export const FAMILY_LIFETIME_MS = { patient: 30 * 86_400_000, team: 12 * 3_600_000 } as const;
/** A rotated token presented again this soon (a second tab) gets the same new pair instead of a revocation. */
export const REFRESH_REUSE_GRACE_MS = 10_000;
export const STAFF_ROLES = ['clinician', 'staff', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export type OtpPurpose = 'patient_login' | 'staff_login';

/**
 * E.164 form of a phone number written with or without its country code (then read in
 * `region`), so `98765 43210` and `+91 98765 43210` are one person. Null when not a valid number.
 */
export function normalizePhone(input: string, region: string): string | null {
  const trimmed = input.trim();
  if (!/^\+?[\d\s().-]{4,32}$/.test(trimmed)) return null;
  const parsed = parsePhoneNumberFromString(trimmed, region.toUpperCase() as CountryCode);
  return parsed?.isValid() ? parsed.number : null;
}

/** Six digits from a CSPRNG, leading zeros kept. */
export const newOtpCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');

/** The stored form of a code: HMAC-SHA256 keyed by OTP_SECRET over phone and code. */
export const hashOtp = (secret: string, phone: string, code: string): string =>
  createHmac('sha256', secret).update(`${phone}:${code}`).digest('hex');

export function otpMatches(secret: string, phone: string, code: string, storedHash: string): boolean {
  const given = Buffer.from(hashOtp(secret, phone, code), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** 32 random bytes, base64url; only its SHA-256 is stored. */
export const newRefreshToken = (): string => randomBytes(32).toString('base64url');
export const hashRefreshToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export type SendDecision =
  | { ok: true }
  | { ok: false; code: 'OTP_COOLDOWN' | 'RATE_LIMITED'; retryAfterSeconds: number };

/**
 * May another code be sent? `phoneRecent` and `ipRecent` are creation times of codes requested
 * within the last hour (newest first, at most `limit` of them are needed).
 */
export function otpSendDecision(input: {
  now: Date;
  phoneRecent: Date[];
  ipRecent: Date[];
  phoneLimit: number;
  ipLimit: number;
}): SendDecision {
  const now = input.now.getTime();
  const newest = input.phoneRecent[0];
  if (newest && now - newest.getTime() < OTP_COOLDOWN_SECONDS * 1000)
    return {
      ok: false,
      code: 'OTP_COOLDOWN',
      retryAfterSeconds: secondsUntil(newest, OTP_COOLDOWN_SECONDS * 1000, now),
    };
  for (const [recent, limit] of [
    [input.phoneRecent, input.phoneLimit],
    [input.ipRecent, input.ipLimit],
  ] as const) {
    const live = recent.filter((t) => now - t.getTime() < OTP_LIMIT_WINDOW_MS);
    if (live.length >= limit) {
      // The window frees a place when the limit-th newest request leaves it.
      const pivot = live[limit - 1]!;
      return {
        ok: false,
        code: 'RATE_LIMITED',
        retryAfterSeconds: secondsUntil(pivot, OTP_LIMIT_WINDOW_MS, now),
      };
    }
  }
  return { ok: true };
}

const secondsUntil = (from: Date, spanMs: number, now: number) =>
  Math.max(1, Math.ceil((from.getTime() + spanMs - now) / 1000));

export type OtpState = { expiresAt: Date; consumedAt: Date | null; lockedAt: Date | null; attempts: number };
export type OtpOutcome = 'ok' | 'expired' | 'used' | 'locked' | 'wrong' | 'wrong_now_locked';

/** What a verification attempt does to a code. Locked and used codes stay so, whatever is typed. */
export function otpAttemptOutcome(state: OtpState, matches: boolean, now: Date): OtpOutcome {
  if (state.consumedAt) return 'used';
  if (state.lockedAt || state.attempts >= OTP_MAX_WRONG_TRIES) return 'locked';
  if (state.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (matches) return 'ok';
  return state.attempts + 1 >= OTP_MAX_WRONG_TRIES ? 'wrong_now_locked' : 'wrong';
}

export const familyLifetimeMs = (role: string): number =>
  role === 'patient' ? FAMILY_LIFETIME_MS.patient : FAMILY_LIFETIME_MS.team;

/** A refresh token's own expiry: 7 days, but never past its family's absolute end. */
export const sessionExpiry = (now: Date, familyExpiresAt: Date): Date =>
  new Date(Math.min(now.getTime() + REFRESH_TOKEN_TTL_DAYS * 86_400_000, familyExpiresAt.getTime()));

/** A date of birth must be a real calendar day, not in the future, and not before 1900. */
export function dateOfBirthProblem(dob: string, now: Date): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dob);
  if (!m) return 'must be a date as YYYY-MM-DD';
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (d.toISOString().slice(0, 10) !== dob) return 'is not a calendar date';
  if (Number(m[1]) < 1900) return 'must be in or after 1900';
  // A birth date "tomorrow" anywhere on earth is still in the future: compare with UTC+14's today.
  const latest = new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
  if (dob > latest) return 'cannot be in the future';
  return null;
}

/** Names of the fields a patch actually changes (deep-compared), never their values. */
export function changedFieldNames<T extends Record<string, unknown>>(before: T, patch: Partial<T>): string[] {
  return Object.keys(patch)
    .filter((k) => patch[k] !== undefined && !sameValue(before[k], patch[k]))
    .sort();
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return (a ?? null) === (b ?? null);
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
