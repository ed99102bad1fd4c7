import type { Logger } from 'pino';
import type { Pool, PoolClient } from '../../platform/db/pool.js';
import { IN_APP_CHANNEL } from './messaging.jobs.js';

export type InAppEvent = { id: string; userId: string };
export type Subscriber = {
  onEvent: (event: InAppEvent) => void;
  /** The LISTEN connection broke: events may have been missed, so the stream should end (the client reconnects with Last-Event-ID). */
  onLost: () => void;
};

/**
 * One dedicated connection per instance LISTENs for new in-app notifications and fans them out to
 * the streams this instance holds. Started by the first subscriber; when it breaks, every stream
 * is told (so none silently misses events) and the next subscriber connects again.
 */
export function createNotificationHub(deps: { pool: Pool; log: Logger }) {
  const subscribers = new Map<string, Set<Subscriber>>();
  let client: PoolClient | null = null;
  let connecting: Promise<PoolClient> | null = null;
  let closed = false;

  function dispatch(payload: string | undefined) {
    let event: InAppEvent;
    try {
      event = JSON.parse(payload ?? '');
    } catch {
      return;
    }
    for (const s of subscribers.get(event.userId) ?? []) s.onEvent(event);
  }

  function lose(c: PoolClient, err: unknown) {
    if (client !== c) return;
    deps.log.warn({ err }, 'notification listener lost its connection');
    client = null;
    c.release(err instanceof Error ? err : true);
    const all = [...subscribers.values()].flatMap((set) => [...set]);
    subscribers.clear();
    for (const s of all) s.onLost();
  }

  async function connect(): Promise<PoolClient> {
    const c = await deps.pool.connect();
    try {
      c.on('notification', (msg) => {
        if (msg.channel === IN_APP_CHANNEL) dispatch(msg.payload);
      });
      c.on('error', (err) => lose(c, err));
      c.on('end', () => lose(c, new Error('connection ended')));
      await c.query(`listen ${IN_APP_CHANNEL}`);
    } catch (err) {
      c.release(true);
      throw err;
    }
    if (closed) {
      c.release();
      throw new Error('notification hub closed');
    }
    client = c;
    return c;
  }

  function ensureListening(): Promise<PoolClient> {
    if (client) return Promise.resolve(client);
    if (closed) return Promise.reject(new Error('notification hub closed'));
    connecting ??= connect().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  return {
    /** Resolves once this instance is LISTENing, so no notification committed afterwards is missed. */
    async subscribe(userId: string, subscriber: Subscriber): Promise<() => void> {
      const listening = await ensureListening();
      // The connection broke between LISTEN and now: this subscriber missed the `lost` signal.
      if (client !== listening) {
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
        c.removeAllListeners('end');
        c.removeAllListeners('error');
        await c.query(`unlisten ${IN_APP_CHANNEL}`).catch(() => {});
        c.release();
      }
    },
  };
}

export type NotificationHub = ReturnType<typeof createNotificationHub>;
