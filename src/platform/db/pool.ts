import pg from 'pg';

// Keep bigint counts and numeric amounts exact; int8 (20) values that fit are parsed as numbers by callers.
pg.types.setTypeParser(20, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(url: string, max = 20): Pool {
  // A checkout that waits longer than this fails the request instead of hanging it.
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: 'carebook',
    connectionTimeoutMillis: 15_000,
  });
  // An idle client losing its connection must not crash the process; the next checkout reconnects.
  pool.on('error', () => {});
  return pool;
}
