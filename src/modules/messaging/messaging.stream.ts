import type { PgListener } from '../../platform/db/listener.js';
import { IN_APP_CHANNEL } from './messaging.jobs.js';

/** NOTIFYed by the `auth_sessions_revoked_notify` trigger (migration 0009): `{userId, sessionId}`. */
export const AUTH_REVOKED_CHANNEL = 'auth_session_revoked';

export type InAppEvent = { id: string; userId: string };
export type Subscriber = {
  onEvent: (event: InAppEvent) => void;
  /** The LISTEN connection broke: events may have been missed, so the stream should end (the client reconnects with Last-Event-ID). */
  onLost: () => void;
};

/**
 * Fans the instance's in-app notifications (one LISTEN channel on the platform's listener) out to
 * the streams this instance holds. When the listener loses its connection every stream is told,
 * and the next subscriber listens again.
 */
export function createNotificationHub(deps: { listener: PgListener }) {
  const subscribers = new Map<string, Set<Subscriber>>();
  let listening: Promise<unknown> | null = null;
  const sessionWatchers = new Map<string, Set<() => void>>();
  let watching: Promise<unknown> | null = null;

  function revoked(payload: string) {
    let event: { sessionId?: string };
    try {
      event = JSON.parse(payload);
    } catch {
      return;
    }
    for (const end of sessionWatchers.get(event.sessionId ?? '') ?? []) end();
  }

  /** The revocation channel broke: a revocation may have been missed, so every watched stream ends. */
  function watchLost() {
    watching = null;
    const all = [...sessionWatchers.values()].flatMap((set) => [...set]);
    sessionWatchers.clear();
    for (const end of all) end();
  }

  function dispatch(payload: string) {
    let event: InAppEvent;
    try {
      event = JSON.parse(payload);
    } catch {
      return;
    }
    for (const s of subscribers.get(event.userId) ?? []) s.onEvent(event);
  }

  function lost() {
    listening = null;
    const all = [...subscribers.values()].flatMap((set) => [...set]);
    subscribers.clear();
    for (const s of all) s.onLost();
  }

  return {
    /**
     * Calls `onEnded` when the session ends on any instance (logout, reuse, deactivation, signed out
     * elsewhere: a database trigger NOTIFYs `auth_session_revoked`). Resolves once LISTENing.
     */
    async watchSession(sessionId: string, onEnded: () => void): Promise<() => void> {
      if (!watching)
        watching = deps.listener
          .subscribe(AUTH_REVOKED_CHANNEL, { onMessage: revoked, onLost: watchLost })
          .catch((err) => {
            watching = null;
            throw err;
          });
      const attempt = watching;
      await attempt;
      if (watching !== attempt) {
        queueMicrotask(onEnded);
        return () => {};
      }
      const set = sessionWatchers.get(sessionId) ?? new Set<() => void>();
      sessionWatchers.set(sessionId, set);
      set.add(onEnded);
      return () => {
        set.delete(onEnded);
        if (set.size === 0 && sessionWatchers.get(sessionId) === set) sessionWatchers.delete(sessionId);
      };
    },

    /** Resolves once this instance is LISTENing, so no notification committed afterwards is missed. */
    async subscribe(userId: string, subscriber: Subscriber): Promise<() => void> {
      if (!listening)
        listening = deps.listener
          .subscribe(IN_APP_CHANNEL, { onMessage: dispatch, onLost: lost })
          .catch((err) => {
            listening = null;
            throw err;
          });
      const attempt = listening;
      await attempt;
      // The connection broke between LISTEN and now: this subscriber missed the `lost` signal.
      if (listening !== attempt) {
        queueMicrotask(subscriber.onLost);
        return () => {};
      }
      const set = subscribers.get(userId) ?? new Set<Subscriber>();
      subscribers.set(userId, set);
      set.add(subscriber);
      return () => {
        set.delete(subscriber);
        if (set.size === 0 && subscribers.get(userId) === set) subscribers.delete(userId);
      };
    },
  };
}

export type NotificationHub = ReturnType<typeof createNotificationHub>;
