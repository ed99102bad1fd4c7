import pg from 'pg';
import { isDatabaseUnavailable } from './unavailable.js';

// Keep bigint counts and numeric amounts exact; int8 (20) values that fit are parsed as numbers by callers.
pg.types.setTypeParser(20, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export type PoolOptions = {
  /**
   * Statements prepared once per connection (default). Off for a pooler that hands one session's
   * statements to another (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
  /** A connection broke (the database stopped or restarted). Called at most once per connection. */
  onConnectionError?: (err: Error) => void;
};

/** Distinct statements a connection keeps prepared; past this, statements are sent unnamed as before. */
export const PREPARED_PER_CONNECTION = 200;
/** Longer statements (bulk inserts of many rows) are not worth keeping. */
const PREPARED_MAX_TEXT = 16_384;

/** Statement names by text, the same in every connection of the process; bounded like a connection's. */
const names = new Map<string, string>();
const MAX_NAMES = 2_000;
function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMES) {
    name = `cb_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

type QueryConfig = { text?: unknown; name?: unknown; values?: unknown; submit?: unknown };

/**
 * A client that prepares each parameterised statement once per connection, under a name derived
 * from its text, as the JDBC driver and postgres.js do: PostgreSQL then parses it once and, once its
 * generic plan proves as cheap as the custom ones, plans it once. Measured on a paid initiate,
 * planning was 1.4 ms of its 2.2 ms of server time (issue 12). Statements without parameters stay on
 * the simple protocol (BEGIN with its locks is several statements in one).
 */
export class PreparingClient extends pg.Client {
  private prepared = 0;

  // biome-ignore lint/suspicious/noExplicitAny: pg's query has a dozen overloads; this forwards them all.
  override query(config: any, values?: any, callback?: any): any {
    const named = this.withName(config, values);
    return super.query(named ?? config, values, callback);
  }

  private withName(config: unknown, values: unknown): QueryConfig | undefined {
    const asConfig: QueryConfig =
      typeof config === 'string' ? { text: config } : ((config ?? {}) as QueryConfig);
    const { text } = asConfig;
    if (typeof text !== 'string' || asConfig.name || typeof asConfig.submit === 'function') return undefined;
    const params = Array.isArray(values) ? values : asConfig.values;
    if (!Array.isArray(params) || params.length === 0 || text.length > PREPARED_MAX_TEXT) return undefined;
    const name = nameOf(text);
    if (!name) return undefined;
    const known = (this as unknown as { connection: { parsedStatements: Record<string, string> } }).connection
      .parsedStatements;
    if (known[name] === undefined) {
      if (this.prepared >= PREPARED_PER_CONNECTION) return undefined;
      this.prepared++;
    }
    return { ...asConfig, name };
  }
}

export function createPool(url: string, max = 20, opts: PoolOptions = {}): Pool {
  // A checkout that waits longer than this fails the request instead of hanging it.
  const pool = new pg.Pool({
    Client: opts.preparedStatements === false ? pg.Client : PreparingClient,
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
      opts.onConnectionError?.(err);
    });
  });
  // An idle client losing its connection: the pool has already dropped it; the next checkout reconnects.
  pool.on('error', () => {});
  return pool;
}

/**
 * At start, a database that is down (restarting, failing over) is waited for, up to `timeoutMs`,
 * instead of failing the process: replicas restarted by a supervisor during an outage come up
 * when it ends. Any other error (a wrong password, a missing database) fails at once.
 */
export async function waitForDatabase(
  pool: Pool,
  onWait: (reason: string) => void,
  timeoutMs = 120_000,
): Promise<void> {
  const t0 = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query('select 1');
      return;
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() - t0 > timeoutMs) throw err;
      if (attempt % 10 === 0) onWait(err instanceof Error ? err.message : String(err));
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
