import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

type Op = { description?: string; responses: Record<string, unknown> };

test('every operation lists the stable error codes of each 4xx it declares, at the end of its description', async () => {
  const res = await t.http.get('/openapi.json');
  expect(res.status).toBe(200);
  const missing: string[] = [];
  let pairs = 0;
  for (const [path, item] of Object.entries(res.body.paths as Record<string, Record<string, Op>>))
    for (const [method, op] of Object.entries(item)) {
      const tail = op.description?.split("Error codes (the problem's `code`):\n")[1];
      for (const status of Object.keys(op.responses).filter((s) => s >= '400' && s < '500')) {
        pairs++;
        const line = tail?.split('\n').find((l) => l.startsWith(`- ${status}: `));
        if (!line || !/^- \d{3}: `[A-Z][A-Z0-9_]+`(, `[A-Z][A-Z0-9_]+`)*$/.test(line))
          missing.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
  expect(pairs).toBeGreaterThan(300);
  expect(missing).toEqual([]);
});

test('route-specific codes reach their operation (read from what the services throw)', async () => {
  const { paths } = (await t.http.get('/openapi.json')).body;
  expect(paths['/api/booking/initiate'].post.description).toMatch(/- 409: .*`SLOT_UNAVAILABLE`/);
  expect(paths['/api/booking/initiate'].post.description).toMatch(/- 409: .*`IDEMPOTENCY_KEY_REUSED`/);
  expect(paths['/api/sessions/text'].post.description).toMatch(/- 402: `INSUFFICIENT_CREDITS`/);
  expect(paths['/api/consultations/select-consultation'].post.description).toMatch(
    /- 410: `TRIAGE_SESSION_EXPIRED`/,
  );
  // A status no code is known for is not declared (GET of a payment never conflicts).
  expect(paths['/api/payment/{id}'].get.responses['409']).toBeUndefined();
});

test('every paged list (a `cursor` query parameter) names CURSOR_INVALID among its 400 codes', async () => {
  const { paths } = (await t.http.get('/openapi.json')).body;
  const paged: string[] = [];
  for (const [path, item] of Object.entries(paths as Record<string, Record<string, any>>))
    for (const [method, op] of Object.entries(item))
      if (op.parameters?.some((p: any) => p.in === 'query' && p.name === 'cursor')) {
        paged.push(`${method.toUpperCase()} ${path}`);
        expect(op.description, path).toMatch(/- 400: .*`CURSOR_INVALID`/);
      }
  expect(paged).toEqual(expect.arrayContaining(['GET /api/consultations', 'GET /api/consultations/queue']));
});
