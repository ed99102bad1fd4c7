import pg from 'pg';

// Keep bigint counts and numeric amounts exact; int8 (20) values that fit are parsed as numbers by callers.
pg.types.setTypeParser(20, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export type PoolEvents = {
  /** A connection broke (the database stopped or restarted). Called at most once per connection. */
  onConnectionError?: (err: Error) => void;
};

export function createPool(url: string, max = 20, events: PoolEvents = {}): Pool {
  // A checkout that waits longer than this fails the request instead of hanging it.
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: 'carebook',
    connectionTimeoutMillis: 15_000,
  });
  // A connection that breaks emits 'error' on its client. The pool listens only while the client
  // is idle; a checked-out client (a transaction in progress, a LISTEN connection) has no listener
  // of its own, and an unheard 'error' would end the process. This listener stays for the client's
  // life: its query in flight fails, and the pool drops the client when it is released.
  pool.on('connect', (client) => {
    let told = false;
    client.on('error', (err) => {
      if (told) return;
      told = true;
      events.onConnectionError?.(err);
    });
  });
  // An idle client losing its connection: the pool has already dropped it; the next checkout reconnects.
  pool.on('error', () => {});
  return pool;
}
