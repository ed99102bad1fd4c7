import { randomUUID } from 'node:crypto';
import { audit, type RequestMeta } from '../../platform/audit.js';
import type { Role, TokenSigner } from '../../platform/auth.js';
import type { Db, Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { identityRepository as repo } from './identity.repository.js';
import { hashRefreshToken, newRefreshToken, REFRESH_TOKEN_TTL_DAYS } from './identity.rules.js';

export type SessionDeps = Pick<Platform, 'clock' | 'uow'> & { signer: TokenSigner };
export type TokenPair = { accessToken: string; refreshToken: string };

const DAY_MS = 86_400_000;

/**
 * Opens an auth session (one row per refresh token) inside the caller's transaction. A new login
 * starts a new family; a rotation continues its parent's family.
 */
export async function openSession(
  tx: Pick<Tx, 'db'>,
  input: { userId: string; familyId?: string; now: Date; meta: RequestMeta },
): Promise<{ sessionId: string; refreshToken: string }> {
  const refreshToken = newRefreshToken();
  const row = await repo.insertSession(tx.db, {
    userId: input.userId,
    familyId: input.familyId ?? randomUUID(),
    refreshTokenHash: hashRefreshToken(refreshToken),
    createdAt: input.now,
    expiresAt: new Date(input.now.getTime() + REFRESH_TOKEN_TTL_DAYS * DAY_MS),
    userAgent: input.meta.userAgent ?? null,
    ip: input.meta.ip ?? null,
  });
  return { sessionId: row.id, refreshToken };
}

type RefreshResult =
  | { kind: 'ok'; userId: string; role: Role; sessionId: string; refreshToken: string }
  | { kind: 'invalid' | 'expired' | 'revoked' | 'reused' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function makeSessionService(deps: SessionDeps & { db: Db }) {
  const { clock, uow, signer } = deps;

  async function refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
    const now = clock.now();
    const result = await uow(async (tx): Promise<RefreshResult> => {
      const session = await repo.findSessionByTokenHashForUpdate(tx.db, hashRefreshToken(refreshToken));
      if (!session) return { kind: 'invalid' };
      if (session.revokedAt) return { kind: 'revoked' };
      if (session.rotatedAt) {
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
      await repo.markSessionRotated(tx.db, session.id, now);
      const next = await openSession(tx, { userId: user.id, familyId: session.familyId, now, meta });
      return { kind: 'ok', userId: user.id, role: user.role, ...next };
    });
    switch (result.kind) {
      case 'ok': {
        const accessToken = await signer.sign({
          userId: result.userId,
          role: result.role,
          sessionId: result.sessionId,
        });
        return { accessToken, refreshToken: result.refreshToken };
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

  /** The guard's check: a revoked session's access tokens stop working at once. */
  async function isSessionLive(sessionId: string): Promise<boolean> {
    if (!UUID.test(sessionId)) return false;
    return repo.isSessionLive(deps.db, sessionId, clock.now());
  }

  return { refresh, logout, isSessionLive };
}
export type SessionService = ReturnType<typeof makeSessionService>;
