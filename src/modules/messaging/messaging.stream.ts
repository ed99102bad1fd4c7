import type { Logger } from 'pino';
import type { Pool, PoolClient } from '../../platform/db/pool.js';
import { IN_APP_CHANNEL } from './messaging.jobs.js';

export type InAppEvent = { id: string; userId: string };
type Listener = (event: InAppEvent) => void;

/**
 * One dedicated connection per instance LISTENs for new in-app notifications and fans them out to
 * the streams this instance holds. Started by the first subscriber; reconnects with backoff.
 */
export function createNotificationHub(deps: { pool: Pool; log: Logger }) {
  const subscribers = new Map<string, Set<Listener>>();
  let client: PoolClient | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;
  let retryDelay = 250;

  function dispatch(payload: string | undefined) {
    let event: InAppEvent;
    try {
      event = JSON.parse(payload ?? '');
    } catch {
      return;
    }
    for (const fn of subscribers.get(event.userId) ?? []) fn(event);
  }

  async function connect(): Promise<void> {
    const c = await deps.pool.connect();
    c.on('notification', (msg) => {
      if (msg.channel === IN_APP_CHANNEL) dispatch(msg.payload);
    });
    c.on('error', (err) => {
      deps.log.warn({ err }, 'notification listener lost its connection');
      if (client === c) client = null;
      c.release(err);
      scheduleReconnect();
    });
    await c.query(`listen ${IN_APP_CHANNEL}`);
    client = c;
    retryDelay = 250;
  }

  function scheduleReconnect() {
    if (closed || subscribers.size === 0) return;
    setTimeout(() => {
      ensureListening().catch(() => {
        retryDelay = Math.min(retryDelay * 2, 10_000);
        scheduleReconnect();
      });
    }, retryDelay).unref();
  }

  function ensureListening(): Promise<void> {
    if (client || closed) return Promise.resolve();
    connecting ??= connect().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  return {
    /** Resolves once this instance is LISTENing, so no notification committed afterwards is missed. */
    async subscribe(userId: string, fn: Listener): Promise<() => void> {
      const set = subscribers.get(userId) ?? new Set<Listener>();
      subscribers.set(userId, set);
      set.add(fn);
      await ensureListening();
      return () => {
        set.delete(fn);
        if (set.size === 0 && subscribers.get(userId) === set) subscribers.delete(userId);
      };
    },
    get subscriberCount() {
      let n = 0;
      for (const set of subscribers.values()) n += set.size;
      return n;
    },
    async close(): Promise<void> {
      closed = true;
      await connecting?.catch(() => {});
      const c = client;
      client = null;
      subscribers.clear();
      if (c) {
        await c.query(`unlisten ${IN_APP_CHANNEL}`).catch(() => {});
        c.release();
      }
    },
  };
}

export type NotificationHub = ReturnType<typeof createNotificationHub>;
