import { compileErrors, validate } from '@readme/openapi-parser';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createPool, type Pool } from '../src/platform/db/pool.js';
import { AppError } from '../src/platform/errors.js';
import { createMetrics } from '../src/platform/metrics.js';
import type { AppModule } from '../src/platform/module.js';
import { startTestApp, type TestApp, testEnv } from './support/app.js';
import { createTestDatabase } from './support/db.js';

/** A module that exists only here, to reach the platform's error paths through real routes. */
const probe: AppModule = {
  name: 'probe',
  routes: async (app) => {
    app.post(
      '/api/probe',
      {
        schema: {
          body: z.object({ name: z.string().min(2).max(20), count: z.number().int().min(1) }),
          response: { 200: z.object({ ok: z.boolean() }) },
        },
      },
      async () => ({ ok: true }),
    );
    app.get('/api/probe/conflict', async () => {
      throw new AppError(409, 'SLOT_UNAVAILABLE', 'That slot is taken.');
    });
    app.get('/api/probe/crash', async () => {
      throw new Error('secret internals at /srv/app.ts:12');
    });
    app.get('/api/probe/ip', async (req) => ({ ip: req.ip }));
  },
};

/** Production settings every probe app shares; tests add or override some. */
const PRODUCTION = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'http://x.test',
  TWILIO_ACCOUNT_SID: 'AC0000',
  TWILIO_AUTH_TOKEN: 'twilio-token',
  TWILIO_FROM: '+15005550006',
  ALLOW_SANDBOX_PAYMENTS: 'true',
};

/** The platform's HTTP layer with only the probe module, on its own database and a random port. */
async function startProbe(env: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const db = await createTestDatabase();
  const config = loadConfig(testEnv({ DATABASE_URL: db.url, ...PRODUCTION, ...env }));
  const pool: Pool = createPool(db.url, 2);
  const app = await buildApp({
    config,
    pool,
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    modules: [probe],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    async close() {
      await app.close();
      await pool.end();
      await db.drop();
    },
  };
}

describe('HTTP platform', () => {
  let testApp: TestApp;
  let probeUrl: string;
  let closeProbe: () => Promise<void>;

  beforeAll(async () => {
    testApp = await startTestApp();
    const probeApp = await startProbe({ BODY_LIMIT_BYTES: '2048' });
    probeUrl = probeApp.url;
    closeProbe = probeApp.close;
  });
  afterAll(async () => {
    await closeProbe?.();
    await testApp?.close();
  });

  const post = (
    path: string,
    body: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => fetch(probeUrl + path, { method: 'POST', body, headers });

  test('malformed JSON is a 400 problem', async () => {
    const res = await post('/api/probe', '{"name": "ab",');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body: any = await res.json();
    expect(body).toMatchObject({ status: 400, code: 'MALFORMED_JSON', title: 'Bad Request' });
    expect(body.requestId).toBeTruthy();
  });

  test('schema violations are a 400 with field errors', async () => {
    const res = await post('/api/probe', JSON.stringify({ name: 'a', count: 1.5 }));
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.count', 'body.name']);
  });

  test('an unknown route is a 404 problem', async () => {
    const res = await fetch(`${probeUrl}/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404 });
  });

  test('a body over the limit is a 413 problem', async () => {
    const res = await post('/api/probe', JSON.stringify({ name: 'x'.repeat(5000), count: 1 }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  test('a domain error keeps its status and code', async () => {
    const res = await fetch(`${probeUrl}/api/probe/conflict`);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'SLOT_UNAVAILABLE', detail: 'That slot is taken.' });
  });

  test('an unexpected error in production is a 500 with the request id and no internals', async () => {
    const res = await fetch(`${probeUrl}/api/probe/crash`, { headers: { 'x-request-id': 'req-abc' } });
    expect(res.status).toBe(500);
    const body: any = await res.json();
    expect(body).toMatchObject({ code: 'INTERNAL_ERROR', requestId: 'req-abc' });
    expect(JSON.stringify(body)).not.toContain('secret internals');
    expect(body.stack).toBeUndefined();
  });

  test('health, readiness and metrics answer', async () => {
    expect((await testApp.http.get('/healthz')).status).toBe(200);
    const ready = await testApp.http.get('/readyz');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready' } });
    const metrics = await fetch(`${testApp.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain('http_request_duration_seconds_bucket');
  });

  test('readiness fails while migrations are missing', async () => {
    await testApp.platform.pool.query(
      `delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`,
    );
    expect((await testApp.http.get('/readyz')).status).toBe(503);
  });

  test('/openapi.json is a valid OpenAPI 3.1 document', async () => {
    const doc = (await testApp.http.get('/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    const docsPage = await fetch(`${testApp.url}/docs`, { redirect: 'follow' });
    expect(docsPage.status).toBe(200);
  });
});

describe('client address behind proxies', () => {
  const ipOf = async (url: string, forwardedFor?: string) => {
    const headers: Record<string, string> = forwardedFor ? { 'x-forwarded-for': forwardedFor } : {};
    return ((await (await fetch(`${url}/api/probe/ip`, { headers })).json()) as { ip: string }).ip;
  };
  const withProbe = async (env: Record<string, string>, fn: (url: string) => Promise<void>) => {
    const probeApp = await startProbe(env);
    try {
      await fn(probeApp.url);
    } finally {
      await probeApp.close();
    }
  };
  /** Three requests, each claiming another address, against a limit of two per minute. */
  const rotatingStatuses = async (url: string) => {
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++)
      statuses.push(
        (await fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': `192.0.2.${i}` } })).status,
      );
    return statuses;
  };

  test('by default X-Forwarded-For is ignored: a client can neither pick its address nor dodge the rate limit', async () => {
    await withProbe({}, async (url) => {
      expect(await ipOf(url, '203.0.113.9, 198.51.100.7')).toBe('127.0.0.1');
    });
    await withProbe({ RATE_LIMIT_PER_MINUTE: '2' }, async (url) => {
      expect(await rotatingStatuses(url)).toEqual([200, 200, 429]);
    });
  });

  test('a hop count trusts exactly that many proxies, never the addresses a client wrote before them', async () => {
    await withProbe({ TRUST_PROXY: '1' }, async (url) => {
      expect(await ipOf(url, '203.0.113.9, 198.51.100.7')).toBe('198.51.100.7');
      expect(await ipOf(url)).toBe('127.0.0.1');
    });
    await withProbe({ TRUST_PROXY: '2' }, async (url) => {
      expect(await ipOf(url, '6.6.6.6, 203.0.113.9, 10.0.0.5')).toBe('203.0.113.9');
    });
    // Behind a trusted proxy, clients the proxy tells apart are limited separately.
    await withProbe({ TRUST_PROXY: '1', RATE_LIMIT_PER_MINUTE: '2' }, async (url) => {
      expect(await rotatingStatuses(url)).toEqual([200, 200, 200]);
    });
  });

  test('an address list trusts only peers on it', async () => {
    await withProbe({ TRUST_PROXY: '127.0.0.1/32' }, async (url) => {
      expect(await ipOf(url, '203.0.113.9, 198.51.100.7')).toBe('198.51.100.7');
    });
    await withProbe({ TRUST_PROXY: '10.0.0.0/8' }, async (url) => {
      expect(await ipOf(url, '203.0.113.9')).toBe('127.0.0.1');
    });
  });
});
