import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { AuditFieldError, audit } from './audit.js';

describe('audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const write = (changedFields: string[] = ['dateOfBirth', 'address.city']) =>
    t.platform.uow((tx) =>
      audit.record(tx, {
        actor: { userId: '00000000-0000-4000-8000-000000000001', role: 'staff' },
        action: 'profile.update',
        resourceType: 'patient_profile',
        resourceId: 'p-1',
        requestId: 'req-1',
        ip: '10.0.0.1',
        userAgent: 'vitest',
        changedFields,
      }),
    );

  test('records who did what, with field names only', async () => {
    await write(['dateOfBirth', 'address.city', 'dateOfBirth']);
    const db = drizzle(t.platform.pool, { casing: 'snake_case' });
    const [row] = await audit.list(db, { resourceType: 'patient_profile', resourceId: 'p-1' });
    expect(row).toMatchObject({
      actorRole: 'staff',
      action: 'profile.update',
      requestId: 'req-1',
      ip: '10.0.0.1',
      userAgent: 'vitest',
      changedFields: ['address.city', 'dateOfBirth'],
    });
  });

  test('refuses anything but a field name in changedFields, and writes nothing then', async () => {
    const before = await t.platform.pool.query('select count(*)::int as n from audit_log');
    for (const bad of ['chest pain since Monday', 'dob=1990-01-01', ''])
      await expect(write([bad])).rejects.toBeInstanceOf(AuditFieldError);
    const after = await t.platform.pool.query('select count(*)::int as n from audit_log');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  test('the database refuses UPDATE, DELETE and TRUNCATE on audit_log', async () => {
    await write();
    const { pool } = t.platform;
    await expect(pool.query(`update audit_log set action = 'tampered'`)).rejects.toThrow(/append-only/);
    await expect(pool.query('delete from audit_log')).rejects.toThrow(/append-only/);
    await expect(pool.query('truncate audit_log')).rejects.toThrow(/append-only/);
    const { rows } = await pool.query(`select count(*)::int as n from audit_log where action = 'tampered'`);
    expect(rows[0].n).toBe(0);
    expect((await pool.query('select count(*)::int as n from audit_log')).rows[0].n).toBeGreaterThan(0);
  });

  test('an audit row exists only if its transaction commits', async () => {
    await expect(
      t.platform.uow(async (tx) => {
        await audit.record(tx, { actor: null, action: 'probe.rollback', resourceType: 'probe' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const { rows } = await t.platform.pool.query(
      `select count(*)::int as n from audit_log where action = 'probe.rollback'`,
    );
    expect(rows[0].n).toBe(0);
  });
});
