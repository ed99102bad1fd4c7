import { eq } from 'drizzle-orm';
import { generateSecret, generateURI, verify } from 'otplib';
import { audit, type RequestMeta } from '../../platform/audit.js';
import type { Actor } from '../../platform/auth.js';
import type { Db, Tx } from '../../platform/db/uow.js';
import { AppError, Errors } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { deriveKey, seal, unseal } from '../../platform/seal.js';
import { userTotp } from './identity.table.js';

export type TotpDeps = Pick<Platform, 'config' | 'clock' | 'uow'> & { db: Db };
type TotpRow = typeof userTotp.$inferSelect;

/** One step's tolerance either side: a phone clock a little off still signs in. */
const TOLERANCE_SECONDS = 30;
const PERIOD = 30;

/**
 * Admins' optional second factor (RFC 6238 TOTP through otplib). The secret is AES-256-GCM sealed
 * with a key derived from TOTP_ENCRYPTION_KEY; each code is accepted once (its time step is kept).
 */
export function makeTotpService(deps: TotpDeps) {
  const { config, clock, uow } = deps;
  const keyOf = () => {
    const secret = config.auth.totpEncryptionKey;
    if (!secret)
      throw new AppError(503, 'TOTP_NOT_CONFIGURED', 'Set TOTP_ENCRYPTION_KEY to enable a second factor.');
    return deriveKey(secret, 'carebook:totp-secret');
  };
  const find = async (db: Db, userId: string, lock = false): Promise<TotpRow | null> => {
    const q = db.select().from(userTotp).where(eq(userTotp.userId, userId));
    return (await (lock ? q.for('update') : q))[0] ?? null;
  };

  /** Checks a code against the stored secret; a valid code moves the last-used step so it cannot replay. */
  async function accept(tx: Pick<Tx, 'db'>, row: TotpRow, code: string): Promise<boolean> {
    const secret = unseal(keyOf(), row.secretSealed);
    if (!secret) return false;
    const epoch = Math.floor(clock.now().getTime() / 1000);
    const result = await verify({
      secret,
      token: code,
      epoch,
      epochTolerance: TOLERANCE_SECONDS,
      ...(row.lastUsedStep !== null ? { afterTimeStep: row.lastUsedStep } : {}),
    }).catch(() => ({ valid: false as const }));
    if (!result.valid) return false;
    await tx.db
      .update(userTotp)
      .set({ lastUsedStep: Math.floor(epoch / PERIOD) + result.delta })
      .where(eq(userTotp.userId, row.userId));
    return true;
  }

  /** Starts (or restarts, while unconfirmed) enrolment: a new secret for the authenticator app. */
  async function enrol(actor: Actor, label: string, meta: RequestMeta) {
    const key = keyOf();
    const secret = generateSecret();
    await uow(async (tx) => {
      const existing = await find(tx.db, actor.userId, true);
      if (existing?.confirmedAt)
        throw Errors.conflict('TOTP_ALREADY_ENROLLED', 'A second factor is already enrolled.');
      await tx.db
        .insert(userTotp)
        .values({ userId: actor.userId, secretSealed: seal(key, secret), createdAt: clock.now() })
        .onConflictDoUpdate({
          target: userTotp.userId,
          set: { secretSealed: seal(key, secret), lastUsedStep: null, createdAt: clock.now() },
        });
      await audit.record(tx, {
        ...meta,
        actor,
        action: 'auth.totp_enrol',
        resourceType: 'user',
        resourceId: actor.userId,
      });
    });
    return { secret, otpauthUrl: generateURI({ issuer: 'Carebook', label, secret, period: PERIOD }) };
  }

  /** The first valid code proves the app holds the secret; from then on sign-in asks for a code. */
  async function confirm(actor: Actor, code: string, meta: RequestMeta) {
    return uow(async (tx) => {
      const row = await find(tx.db, actor.userId, true);
      if (!row) throw Errors.conflict('TOTP_NOT_ENROLLED', 'Start enrolment first.');
      if (row.confirmedAt)
        throw Errors.conflict('TOTP_ALREADY_ENROLLED', 'A second factor is already enrolled.');
      if (!(await accept(tx, row, code)))
        throw Errors.badRequest('TOTP_INVALID', 'The authenticator code is not correct.');
      const confirmedAt = clock.now();
      await tx.db.update(userTotp).set({ confirmedAt }).where(eq(userTotp.userId, actor.userId));
      await audit.record(tx, {
        ...meta,
        actor,
        action: 'auth.totp_confirm',
        resourceType: 'user',
        resourceId: actor.userId,
      });
      return { enrolled: true, confirmedAt: confirmedAt.toISOString() };
    });
  }

  async function status(actor: Actor) {
    const row = await find(deps.db, actor.userId);
    return { enrolled: Boolean(row?.confirmedAt), confirmedAt: row?.confirmedAt?.toISOString() ?? null };
  }

  /**
   * At sign-in, inside the OTP transaction: `not_required` without a confirmed factor, else whether
   * the given code is valid (`missing` when none was given).
   */
  async function checkAtSignIn(
    tx: Pick<Tx, 'db'>,
    userId: string,
    code: string | undefined,
  ): Promise<'not_required' | 'ok' | 'missing' | 'invalid'> {
    const row = await find(tx.db, userId, true);
    if (!row?.confirmedAt) return 'not_required';
    if (!code) return 'missing';
    return (await accept(tx, row, code)) ? 'ok' : 'invalid';
  }

  return { enrol, confirm, status, checkAtSignIn };
}
export type TotpService = ReturnType<typeof makeTotpService>;
