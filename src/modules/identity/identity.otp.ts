import { randomUUID } from 'node:crypto';
import { audit, type RequestMeta } from '../../platform/audit.js';
import type { TokenSigner } from '../../platform/auth.js';
import type { Tx } from '../../platform/db/uow.js';
import { AppError, Errors } from '../../platform/errors.js';
import { clientKey } from '../../platform/http-hardening.js';
import type { Platform } from '../../platform/module.js';
import { identityRepository as repo, type UserRow } from './identity.repository.js';
import {
  hashOtp,
  newOtpCode,
  normalizePhone,
  OTP_COOLDOWN_SECONDS,
  OTP_LIMIT_WINDOW_MS,
  OTP_MAX_WRONG_TRIES,
  OTP_TTL_MINUTES,
  type OtpPurpose,
  otpAttemptOutcome,
  otpMatches,
  otpSendDecision,
  STAFF_ROLES,
} from './identity.rules.js';
import { openSession } from './identity.sessions.js';
import type { TotpService } from './identity.totp.js';

/** The messaging port identity needs: `messaging.service.notify` narrowed to the OTP template. */
export type OtpNotifier = (
  tx: Tx,
  input: {
    template: 'otp_verification';
    vars: { code: string; minutes: string };
    recipient: { phone: string; userId?: string };
    idempotencyKey: string;
  },
) => Promise<unknown>;

export type OtpDeps = Pick<Platform, 'config' | 'clock' | 'uow'> & {
  signer: TokenSigner;
  notifyOtp: OtpNotifier;
  totp?: TotpService;
};

export type LoginResult = {
  accessToken: string;
  refreshToken: string;
  /** When the login ends for good (the refresh cookie's lifetime); not part of the JSON reply. */
  refreshExpiresAt: Date;
  isNewUser: boolean;
  user: { id: string; phone: string; fullName: string | null; email: string | null; role: UserRow['role'] };
};

const MESSAGES: Record<OtpPurpose, string> = {
  patient_login: 'We sent a 6-digit code to your phone.',
  // Identical whether or not the number belongs to a team member: staff phones cannot be probed.
  staff_login: 'If this number belongs to a Carebook team member, a 6-digit code is on its way.',
};

export function parsePhoneOrThrow(input: string, region: string, path = 'body.phone'): string {
  const phone = normalizePhone(input, region);
  if (!phone)
    throw new AppError(400, 'PHONE_INVALID', 'This is not a valid phone number.', {
      errors: [{ path, message: 'is not a valid phone number' }],
    });
  return phone;
}

/** Whether a code for this purpose may actually reach this user. */
function canReceive(purpose: OtpPurpose, user: UserRow | null): boolean {
  if (purpose === 'patient_login') return !user || user.isActive;
  return !!user && user.isActive && (STAFF_ROLES as readonly string[]).includes(user.role);
}

type VerifyResult =
  | {
      kind: 'ok';
      user: UserRow;
      isNewUser: boolean;
      sessionId: string;
      refreshToken: string;
      refreshExpiresAt: Date;
    }
  | {
      kind: 'invalid' | 'expired' | 'used' | 'locked' | 'disabled' | 'totp_required' | 'totp_invalid';
      attemptsLeft?: number;
    };

export function makeOtpService(deps: OtpDeps) {
  const { config, clock, uow, signer } = deps;
  const region = config.defaultRegion;

  /**
   * Counts what this phone (in this flow) and IP asked for within the hour; serialised so the counts
   * are exact. The phone's counters are per flow: staff-flow requests never use a patient's quota.
   */
  async function checkLimits(
    tx: Tx,
    purpose: OtpPurpose,
    phone: string,
    ip: string | null | undefined,
    now: Date,
  ) {
    // Fixed order (IP, then phone) so concurrent requests cannot deadlock.
    if (ip) await repo.lockKey(tx.db, `otp-ip:${ip}`);
    await repo.lockKey(tx.db, `otp-phone:${purpose}:${phone}`);
    const since = new Date(now.getTime() - OTP_LIMIT_WINDOW_MS);
    const { otpPhoneLimitPerHour: phoneLimit, otpIpLimitPerHour: ipLimit } = config.auth;
    const phoneRecent = await repo.listRecentOtpTimesByPhone(tx.db, phone, purpose, since, phoneLimit);
    const ipRecent = ip ? await repo.listRecentOtpTimesByIp(tx.db, ip, since, ipLimit) : [];
    return otpSendDecision({ now, phoneRecent, ipRecent, phoneLimit, ipLimit });
  }

  async function issueCode(tx: Tx, purpose: OtpPurpose, phone: string, ip: string | null, now: Date) {
    const user = await repo.findUserByPhone(tx.db, phone);
    const deliver = canReceive(purpose, user);
    const code = newOtpCode();
    const id = randomUUID();
    // A number that may not sign in still gets a row (a hash of a code nobody is sent), so
    // cooldowns and limits behave exactly as for a number that may.
    await repo.insertOtpRequest(tx.db, {
      id,
      phone,
      purpose,
      otpHash: hashOtp(config.auth.otpSecret, phone, deliver ? code : newOtpCode()),
      requestIp: ip,
      createdAt: now,
      expiresAt: new Date(now.getTime() + OTP_TTL_MINUTES * 60_000),
    });
    // A number that may not receive a code does the same work, then undoes it: the reply takes as
    // long as for a team member's number, so timing does not tell staff phones apart.
    if (!deliver) await tx.query('savepoint otp_decoy');
    await deps.notifyOtp(tx, {
      template: 'otp_verification',
      vars: { code, minutes: String(OTP_TTL_MINUTES) },
      recipient: { phone, ...(user ? { userId: user.id } : {}) },
      idempotencyKey: `otp:${id}`,
    });
    if (!deliver) await tx.query('rollback to savepoint otp_decoy');
  }

  async function sendOtp(purpose: OtpPurpose, phoneInput: string, meta: RequestMeta) {
    const phone = parsePhoneOrThrow(phoneInput, region);
    const now = clock.now();
    // An IPv6 client counts by its /64, like the global rate limit.
    const ip = meta.ip ? clientKey(meta.ip) : null;
    const decision = await uow(async (tx) => {
      const verdict = await checkLimits(tx, purpose, phone, ip, now);
      if (verdict.ok) await issueCode(tx, purpose, phone, ip, now);
      return verdict;
    });
    if (!decision.ok)
      throw Errors.tooMany(
        decision.code,
        decision.code === 'OTP_COOLDOWN'
          ? `Wait ${OTP_COOLDOWN_SECONDS} seconds between codes.`
          : 'Too many codes were requested; try again later.',
        decision.retryAfterSeconds,
      );
    return { message: MESSAGES[purpose], expiresInSeconds: OTP_TTL_MINUTES * 60 };
  }

  async function verifyOtp(
    purpose: OtpPurpose,
    input: { phone: string; otp: string; fullName?: string; email?: string; totp?: string },
    meta: RequestMeta,
  ): Promise<LoginResult> {
    const phone = parsePhoneOrThrow(input.phone, region);
    const now = clock.now();
    const result = await uow(async (tx): Promise<VerifyResult> => {
      const request = await repo.findLatestOtpForUpdate(tx.db, phone, purpose);
      if (!request) return { kind: 'invalid' };
      const matches = otpMatches(config.auth.otpSecret, phone, input.otp, request.otpHash);
      const outcome = otpAttemptOutcome(request, matches, now);
      if (outcome === 'wrong' || outcome === 'wrong_now_locked') {
        // Committed even though the reply is an error: wrong tries must count.
        await repo.recordOtpWrongTry(tx.db, request.id, outcome === 'wrong_now_locked' ? now : null);
        return { kind: 'invalid', attemptsLeft: OTP_MAX_WRONG_TRIES - request.attempts - 1 };
      }
      if (outcome !== 'ok') return { kind: outcome };
      const second = await secondFactor(tx, purpose, phone, input.totp);
      // Without the admin's code the login code stays usable, so the client can ask and send both.
      if (second === 'missing') return { kind: 'totp_required' };
      if (second === 'invalid') {
        const locked = request.attempts + 1 >= OTP_MAX_WRONG_TRIES;
        await repo.recordOtpWrongTry(tx.db, request.id, locked ? now : null);
        return { kind: 'totp_invalid', attemptsLeft: OTP_MAX_WRONG_TRIES - request.attempts - 1 };
      }
      await repo.markOtpConsumed(tx.db, request.id, now);
      return signIn(tx, purpose, phone, input, now, meta);
    });
    return finishLogin(result);
  }

  /** An admin who enrolled TOTP proves it at every staff sign-in. */
  async function secondFactor(tx: Tx, purpose: OtpPurpose, phone: string, code: string | undefined) {
    if (purpose !== 'staff_login' || !deps.totp) return 'not_required' as const;
    const user = await repo.findUserByPhone(tx.db, phone);
    if (user?.role !== 'admin') return 'not_required' as const;
    return deps.totp.checkAtSignIn(tx, user.id, code);
  }

  async function signIn(
    tx: Tx,
    purpose: OtpPurpose,
    phone: string,
    input: { fullName?: string; email?: string },
    now: Date,
    meta: RequestMeta,
  ): Promise<VerifyResult> {
    let user = await repo.findUserByPhone(tx.db, phone);
    let isNewUser = false;
    if (!user && purpose === 'patient_login') {
      user = await repo.insertUser(tx.db, {
        phone,
        role: 'patient',
        fullName: input.fullName,
        email: input.email,
        now,
      });
      // Null only when a concurrent login created the same person a moment ago.
      if (user) {
        isNewUser = true;
        await repo.insertPatientProfile(tx.db, user.id, now);
      } else user = await repo.findUserByPhone(tx.db, phone);
    }
    if (!user || !canReceive(purpose, user))
      return user && !user.isActive ? { kind: 'disabled' } : { kind: 'invalid' };
    if (!isNewUser && (input.fullName || input.email) && (!user.fullName || !user.email))
      user = await repo.fillMissingContact(tx.db, user.id, input, now);
    const session = await openSession(tx, { userId: user.id, role: user.role, now, meta });
    await audit.record(tx, {
      ...meta,
      actor: { userId: user.id, role: user.role },
      action: isNewUser ? 'auth.signup' : 'auth.login',
      resourceType: 'user',
      resourceId: user.id,
    });
    return { kind: 'ok', user, isNewUser, ...session };
  }

  async function finishLogin(result: VerifyResult): Promise<LoginResult> {
    switch (result.kind) {
      case 'ok': {
        const { user } = result;
        const accessToken = await signer.sign({
          userId: user.id,
          role: user.role,
          sessionId: result.sessionId,
        });
        return {
          accessToken,
          refreshToken: result.refreshToken,
          refreshExpiresAt: result.refreshExpiresAt,
          isNewUser: result.isNewUser,
          user: {
            id: user.id,
            phone: user.phone,
            fullName: user.fullName,
            email: user.email,
            role: user.role,
          },
        };
      }
      case 'totp_required':
        throw Errors.unauthorized(
          'TOTP_REQUIRED',
          'Enter the code from your authenticator app as well (`totp`).',
        );
      case 'totp_invalid':
        throw new AppError(400, 'TOTP_INVALID', 'The authenticator code is not correct.', {
          attemptsLeft: result.attemptsLeft,
        });
      case 'locked':
        throw Errors.tooMany('OTP_LOCKED', 'Too many wrong codes; request a new code.', OTP_COOLDOWN_SECONDS);
      case 'expired':
        throw Errors.badRequest('OTP_EXPIRED', 'This code has expired; request a new one.');
      case 'disabled':
        throw Errors.forbidden('ACCOUNT_DISABLED', 'This account is disabled; contact the clinic.');
      case 'used':
        throw Errors.badRequest('OTP_INVALID', 'This code was already used; request a new one.');
      default:
        throw new AppError(400, 'OTP_INVALID', 'The code is not correct.', {
          ...(result.attemptsLeft !== undefined ? { attemptsLeft: result.attemptsLeft } : {}),
        });
    }
  }

  return { sendOtp, verifyOtp };
}
export type OtpService = ReturnType<typeof makeOtpService>;
