import type { Logger } from 'pino';
import type { Pool, PoolClient } from './pool.js';

export type ChannelSubscriber = {
  onMessage: (payload: string) => void;
  /** The LISTEN connection broke: messages may have been missed. The subscription has ended. */
  onLost: () => void;
};

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

type Channel = { subscribers: Set<ChannelSubscriber>; listening: Promise<void> };

/**
 * One dedicated connection per instance LISTENs for PostgreSQL notifications on behalf of every
 * module, so what one instance commits reaches the others. Connected by the first subscriber; when
 * it breaks, every subscriber is told (none silently misses a message) and the next one reconnects.
 */
export function createPgListener(deps: { pool: Pool; log: Logger }) {
  const channels = new Map<string, Channel>();
  let client: PoolClient | null = null;
  let connecting: Promise<PoolClient> | null = null;
  let closed = false;

  function lose(c: PoolClient, err: unknown) {
    if (client !== c) return;
    deps.log.warn({ err }, 'database listener lost its connection');
    client = null;
    c.release(err instanceof Error ? err : true);
    const all = [...channels.values()].flatMap((ch) => [...ch.subscribers]);
    channels.clear();
    for (const s of all) s.onLost();
  }

  async function connect(): Promise<PoolClient> {
    const c = await deps.pool.connect();
    try {
      c.on('notification', (msg) => {
        for (const s of channels.get(msg.channel)?.subscribers ?? []) s.onMessage(msg.payload ?? '');
      });
      c.on('error', (err) => lose(c, err));
      c.on('end', () => lose(c, new Error('connection ended')));
    } catch (err) {
      c.release(true);
      throw err;
    }
    if (closed) {
      c.release();
      throw new Error('database listener closed');
    }
    client = c;
    return c;
  }

  function ensureConnected(): Promise<PoolClient> {
    if (client) return Promise.resolve(client);
    if (closed) return Promise.reject(new Error('database listener closed'));
    connecting ??= connect().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  return {
    /**
     * Resolves once this instance is LISTENing on `channel`, so nothing committed afterwards is
     * missed. Returns the unsubscribe function.
     */
    async subscribe(channel: string, subscriber: ChannelSubscriber): Promise<() => void> {
      if (!CHANNEL_NAME.test(channel)) throw new Error(`invalid channel name ${channel}`);
      const c = await ensureConnected();
      let ch = channels.get(channel);
      if (!ch) {
        const listening = c.query(`listen ${channel}`).then(
          () => {},
          (err) => lose(c, err),
        );
        ch = { subscribers: new Set(), listening };
        channels.set(channel, ch);
      }
      await ch.listening;
      // The connection broke while we waited: this subscriber missed the `lost` signal.
      if (client !== c || channels.get(channel) !== ch) {
        queueMicrotask(subscriber.onLost);
        return () => {};
      }
      const { subscribers } = ch;
      subscribers.add(subscriber);
      return () => {
        subscribers.delete(subscriber);
      };
    },
    async close(): Promise<void> {
      closed = true;
      await connecting?.catch(() => {});
      const c = client;
      client = null;
      channels.clear();
      if (c) {
        c.removeAllListeners('end');
        c.removeAllListeners('error');
        await c.query('unlisten *').catch(() => {});
        c.release();
      }
    },
  };
}

export type PgListener = ReturnType<typeof createPgListener>;
