import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { testEnv } from '../../../test/support/app.js';
import { createTestDatabase } from '../../../test/support/db.js';
import { parseCreateUserArgs } from './identity.cli.js';

const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../../bin/carebook.js');

let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const carebook = (args: string[]) =>
  run(process.execPath, [bin, ...args], {
    env: { ...process.env, ...testEnv({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' }) },
    timeout: 60_000,
  });

test('carebook admin create-user makes a clinician with a profile, and refuses bad options', async () => {
  const { stdout } = await carebook([
    'admin',
    'create-user',
    '--role=clinician',
    '--phone=+91 98111 22233',
    '--name=Dr. Cli Test',
    '--specialization=ENT',
    '--time-zone=Europe/London',
  ]);
  expect(stdout).toMatch(/created clinician [0-9a-f-]{36}/);
  expect(stdout).not.toContain('98111');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select u.role, u.full_name, cp.specialization, cp.time_zone from users u
         join clinician_profiles cp on cp.user_id = u.id where u.phone = '+919811122233'`,
    );
    expect(rows).toEqual([
      { role: 'clinician', full_name: 'Dr. Cli Test', specialization: 'ENT', time_zone: 'Europe/London' },
    ]);
    // Bad options are refused before anything starts.
    const noRole = carebook(['admin', 'create-user', '--phone=9811100000', '--name=X']);
    await expect(noRole).rejects.toMatchObject({ stderr: expect.stringContaining('--role') });
    const count = await client.query('select count(*)::int as n from users');
    expect(count.rows[0].n).toBe(1);
  } finally {
    await client.end();
  }
});

test.each([
  [{ phone: '1', name: 'X' }, '--role must be clinician, staff or admin'],
  [{ role: 'patient', phone: '9811100000', name: 'X' }, '--role must be clinician, staff or admin'],
  [{ role: 'staff', name: 'X' }, '--phone is required'],
  [{ role: 'staff', phone: '9811100000' }, '--name is required'],
])('create-user options %o are refused: %s', (values, message) => {
  expect(() => parseCreateUserArgs(values)).toThrow(message);
});
