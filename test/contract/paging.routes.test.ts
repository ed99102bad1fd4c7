import { afterAll, beforeAll, expect, test } from 'vitest';
import { createUser, type TestUser } from '../factories/identity.js';
import { startTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let admin: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  admin = await createUser(t, { role: 'admin' });
});
afterAll(() => t?.close());

test('the audit trail pages with {items, nextCursor}: every row once, newest first, then null', async () => {
  const patient = await createUser(t, { role: 'patient' });
  for (let i = 0; i < 5; i++) await t.http.get('/api/patient-dashboard/profile', { token: patient.token });
  const seen: string[] = [];
  let cursor: string | null = '';
  let pages = 0;
  while (cursor !== null) {
    const q: string = `resourceId=${patient.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const res: { status: number; body: any } = await t.http.get(`/api/admin/audit?${q}`, {
      token: admin.token,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    seen.push(...res.body.items.map((r: { id: string }) => r.id));
    cursor = res.body.nextCursor;
    pages++;
  }
  expect(pages).toBe(3);
  expect(new Set(seen).size).toBe(5);
  const bad = await t.http.get('/api/admin/audit?cursor=nonsense', { token: admin.token });
  expect(bad.status).toBe(400);
  expect(bad.body.code).toBe('CURSOR_INVALID');
});
