import { randomUUID } from 'node:crypto';
import { audit, type RequestMeta } from '../../platform/audit.js';
import type { Actor, Role, TokenSigner } from '../../platform/auth.js';
import type { Db, Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { deriveKey, seal, unseal } from '../../platform/seal.js';
import { identityRepository as repo, type SessionRow } from './identity.repository.js';
import {
  familyLifetimeMs,
  hashRefreshToken,
  newRefreshToken,
  REFRESH_REUSE_GRACE_MS,
  REFRESH_TOKEN_TTL_DAYS,
  sessionExpiry,
} from './identity.rules.js';

export type SessionDeps = Pick<Platform, 'clock' | 'uow'> & { signer: TokenSigner };
/** `refreshExpiresAt`: when the login (family) ends for good; the refresh cookie lives until then. */
export type TokenPair = { accessToken: string; refreshToken: string; refreshExpiresAt: Date };

const DAY_MS = 86_400_000;

/**
 * Opens an auth session (one row per refresh token) inside the caller's transaction. A new login
 * starts a new family whose absolute end follows the role (patients 30 days, the team 12 hours); a
 * rotation continues its parent's family and end.
 */
export async function openSession(
  tx: Pick<Tx, 'db'>,
  input: {
    userId: string;
    role?: Role;
    familyId?: string;
    familyExpiresAt?: Date | null;
    now: Date;
    meta: RequestMeta;
  },
): Promise<{ sessionId: string; refreshToken: string; refreshExpiresAt: Date }> {
  const refreshToken = newRefreshToken();
  const familyExpiresAt =
    input.familyExpiresAt ??
    (input.role ? new Date(input.now.getTime() + familyLifetimeMs(input.role)) : null);
  const expiresAt = familyExpiresAt
    ? sessionExpiry(input.now, familyExpiresAt)
    : new Date(input.now.getTime() + REFRESH_TOKEN_TTL_DAYS * DAY_MS);
  const row = await repo.insertSession(tx.db, {
    userId: input.userId,
    familyId: input.familyId ?? randomUUID(),
    refreshTokenHash: hashRefreshToken(refreshToken),
    createdAt: input.now,
    expiresAt,
    familyExpiresAt,
    userAgent: input.meta.userAgent ?? null,
    ip: input.meta.ip ?? null,
  });
  return { sessionId: row.id, refreshToken, refreshExpiresAt: familyExpiresAt ?? expiresAt };
}

type RefreshResult =
  | {
      kind: 'ok';
      userId: string;
      role: Role;
      sessionId: string;
      refreshToken: string;
      refreshExpiresAt: Date;
    }
  | { kind: 'invalid' | 'expired' | 'revoked' | 'reused' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The successor's token is sealed under a key only the holder of the parent token can derive. */
const successorKey = (parentToken: string) => deriveKey(parentToken, 'carebook:refresh-successor');
const familyEnd = (s: SessionRow) => s.familyExpiresAt ?? s.expiresAt;

export type LiveSession = {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
};

export function makeSessionService(deps: SessionDeps & { db: Db }) {
  const { clock, uow, signer } = deps;

  /** Two tabs refreshing with one token: the later one, within seconds, gets the pair the first got. */
  async function withinGrace(
    tx: Tx,
    session: SessionRow,
    token: string,
    now: Date,
  ): Promise<RefreshResult | null> {
    if (!session.rotatedAt || !session.replacedBy || !session.nextTokenSealed) return null;
    if (now.getTime() - session.rotatedAt.getTime() > REFRESH_REUSE_GRACE_MS) return null;
    const next = await repo.findSessionById(tx.db, session.replacedBy);
    const refreshToken = unseal(successorKey(token), session.nextTokenSealed);
    if (!next || next.revokedAt || !refreshToken) return null;
    const user = await repo.findUserById(tx.db, session.userId);
    if (!user?.isActive) return { kind: 'revoked' };
    return {
      kind: 'ok',
      userId: user.id,
      role: user.role,
      sessionId: next.id,
      refreshToken,
      refreshExpiresAt: familyEnd(next),
    };
  }

  async function rotate(tx: Tx, refreshToken: string, meta: RequestMeta, now: Date): Promise<RefreshResult> {
    const session = await repo.findSessionByTokenHashForUpdate(tx.db, hashRefreshToken(refreshToken));
    if (!session) return { kind: 'invalid' };
    if (session.revokedAt) return { kind: 'revoked' };
    if (session.rotatedAt) {
      const graced = await withinGrace(tx, session, refreshToken, now);
      if (graced) return graced;
      // A rotated token presented again means two parties hold this login: end all of it.
      await repo.revokeFamily(tx.db, session.familyId, now, 'token_reused');
      await audit.record(tx, {
        ...meta,
        actor: null,
        action: 'auth.refresh_token_reused',
        resourceType: 'user',
        resourceId: session.userId,
      });
      return { kind: 'reused' };
    }
    if (session.expiresAt.getTime() <= now.getTime()) return { kind: 'expired' };
    const user = await repo.findUserById(tx.db, session.userId);
    if (!user?.isActive) return { kind: 'revoked' };
    const next = await openSession(tx, {
      userId: user.id,
      familyId: session.familyId,
      familyExpiresAt: session.familyExpiresAt,
      now,
      meta,
    });
    await repo.markSessionRotatedInto(tx.db, session.id, {
      at: now,
      sessionId: next.sessionId,
      sealedToken: seal(successorKey(refreshToken), next.refreshToken),
    });
    return { kind: 'ok', userId: user.id, role: user.role, ...next };
  }

  async function refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
    const now = clock.now();
    const result = await uow((tx) => rotate(tx, refreshToken, meta, now));
    switch (result.kind) {
      case 'ok': {
        const accessToken = await signer.sign({
          userId: result.userId,
          role: result.role,
          sessionId: result.sessionId,
        });
        return { accessToken, refreshToken: result.refreshToken, refreshExpiresAt: result.refreshExpiresAt };
      }
      case 'reused':
        throw Errors.unauthorized(
          'TOKEN_REUSED',
          'This refresh token was already used; every session of this login has been signed out.',
        );
      case 'expired':
        throw Errors.unauthorized('TOKEN_EXPIRED', 'The refresh token has expired; sign in again.');
      case 'revoked':
        throw Errors.unauthorized('SESSION_REVOKED', 'This session has ended; sign in again.');
      default:
        throw Errors.unauthorized('TOKEN_INVALID', 'The refresh token is not valid.');
    }
  }

  /** Ends the login the token belongs to (its whole family). Unknown tokens change nothing. */
  async function logout(refreshToken: string, meta: RequestMeta): Promise<void> {
    const now = clock.now();
    await uow(async (tx) => {
      const session = await repo.findSessionByTokenHashForUpdate(tx.db, hashRefreshToken(refreshToken));
      if (!session || session.revokedAt) return;
      await repo.revokeFamily(tx.db, session.familyId, now, 'logout');
      await audit.record(tx, {
        ...meta,
        actor: { userId: session.userId },
        action: 'auth.logout',
        resourceType: 'user',
        resourceId: session.userId,
      });
    });
  }

  /**
   * The guard's check: the session is live, belongs to the token's subject, and its user is active;
   * the role is the user's current one, not the token's.
   */
  async function sessionUser(actor: Actor): Promise<{ role: Role } | null> {
    if (!UUID.test(actor.sessionId)) return null;
    const found = await repo.findLiveSessionUser(deps.db, actor.sessionId, clock.now());
    return found && found.userId === actor.userId ? { role: found.role } : null;
  }

  /** The caller's live logins, newest first; `id` names the login (family), `current` is the caller's. */
  async function listSessions(actor: Actor): Promise<LiveSession[]> {
    const now = clock.now();
    const rows = await repo.listLiveSessions(deps.db, actor.userId, now);
    const current = await repo.findSessionById(deps.db, actor.sessionId);
    const byFamily = new Map<string, LiveSession>();
    for (const r of rows) {
      if (byFamily.has(r.familyId)) continue;
      byFamily.set(r.familyId, {
        id: r.familyId,
        createdAt: r.createdAt,
        lastUsedAt: r.createdAt,
        expiresAt: familyEnd(r),
        userAgent: r.userAgent,
        ip: r.ip,
        current: r.familyId === current?.familyId,
      });
    }
    return [...byFamily.values()];
  }

  /** Signs out one of the caller's logins (`familyId`) or every login but the current one. */
  async function signOut(actor: Actor, which: { familyId: string } | 'others', meta: RequestMeta) {
    const now = clock.now();
    return uow(async (tx) => {
      const current = await repo.findSessionById(tx.db, actor.sessionId);
      if (!current) throw Errors.unauthorized();
      const ended = await repo.revokeUserFamilies(
        tx.db,
        actor.userId,
        now,
        which === 'others' ? { keepFamilyId: current.familyId } : which,
      );
      await audit.record(tx, {
        ...meta,
        actor,
        action: which === 'others' ? 'auth.sign_out_others' : 'auth.sign_out_session',
        resourceType: 'user',
        resourceId: actor.userId,
      });
      return { signedOut: ended };
    });
  }

  return { refresh, logout, sessionUser, listSessions, signOut };
}
export type SessionService = ReturnType<typeof makeSessionService>;
