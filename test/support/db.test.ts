import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase } from './db.js';
import { databaseName, databaseUrl } from './db-url.js';

describe('databaseUrl', () => {
  test('replaces only the database: credentials, host, port and a socket query stay', () => {
    const base = 'postgres://carebook:a%2Bb%2Fc%3D@127.0.0.1:54321/carebook?host=%2Ftmp%2Fpg-x%2Fdata';
    const url = databaseUrl(base, 't_0a1b2c');
    expect(url).toBe('postgres://carebook:a%2Bb%2Fc%3D@127.0.0.1:54321/t_0a1b2c?host=%2Ftmp%2Fpg-x%2Fdata');
    expect(databaseName(url)).toBe('t_0a1b2c');
    expect(databaseUrl('postgres://u:p@127.0.0.1:5432/carebook', 'carebook_template')).toBe(
      'postgres://u:p@127.0.0.1:5432/carebook_template',
    );
  });

  test('a URL without a database is refused, and the error does not repeat the password', () => {
    expect(() => databaseUrl('postgres://u:hunter2@127.0.0.1:5432', 'x')).toThrow(/names no database/);
    expect(() => databaseUrl('postgres://u:hunter2@127.0.0.1:5432', 'x')).not.toThrow(/hunter2/);
  });
});

// Each test file's app runs on its own clone of the migrated template: rows one file writes (OTP
// requests counted per IP, users, jobs) must never reach another file's database.
describe('createTestDatabase', () => {
  const dbs: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const db = await createTestDatabase();
      dbs.push(db);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      clients.push(client);
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()));
    await Promise.all(dbs.map((d) => d.drop()));
  });

  test('connects to a database of its own, migrated, that no other test database sees', async () => {
    const [a, b] = clients as [pg.Client, pg.Client];
    const names = await Promise.all(
      clients.map(async (c) => (await c.query('select current_database() as n')).rows[0].n as string),
    );
    expect(names).toEqual(dbs.map((d) => databaseName(d.url)));
    expect(new Set([...names, 'carebook', 'carebook_template']).size).toBe(4);

    await a.query(
      `insert into otp_requests (phone, otp_hash, purpose, request_ip, created_at, expires_at)
       values ('+919800000001', 'x', 'patient_login', '127.0.0.1', now(), now())`,
    );
    const count = async (c: pg.Client) =>
      (await c.query('select count(*)::int as n from otp_requests')).rows[0].n as number;
    expect([await count(a), await count(b)]).toEqual([1, 0]);
  });
});
