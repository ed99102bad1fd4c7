import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { freePort } from '../../src/platform/db/embedded.js';
import { loggerOptions } from '../../src/platform/logger.js';
import { type Carebook, type Role, startCarebook } from '../../src/runtime.js';
import { recordReplies } from '../contract/replies.js';
import { TestClock } from './clock.js';
import { createTestDatabase } from './db.js';

export type TestApp = Carebook & {
  url: string;
  clock: TestClock;
  /** Log lines written during the test, when started with `captureLogs`. */
  logs: string[];
  http: ReturnType<typeof httpClient>;
  /** Runs queued jobs now (ignoring their start time unless told otherwise). */
  runJobs(opts?: { names?: string[]; ignoreStartAfter?: boolean }): Promise<number>;
  close(): Promise<void>;
};

// Random-looking (production refuses patterned secrets), fixed so failures reproduce.
export const TEST_SECRETS = {
  JWT_SECRET: '38bIQpIF4Zup/wRs+7nd59OuYfNeiRa/TtaiMiBTqNshbBOw',
  OTP_SECRET: 'H3a7IdFJCsBLxBK9qPyVxjZpbsIXqnCGvpyGjVKh24R2JhuJ',
  SANDBOX_WEBHOOK_SECRET: 'kBmE8z8wW+NmkcW0cLhOp5iXoj/ISDMU3wSNd3qoFTxuv7wC',
};

export function testEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    SEED_DEMO_DATA: 'false',
    RATE_LIMIT_PER_MINUTE: '100000',
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'carebook-test-')),
    ...TEST_SECRETS,
    ...env,
  };
}

/**
 * Starts the real app (migrated database cloned from the template, pg-boss, every module) on a
 * random port. Time is a TestClock the test moves; jobs run when the test calls `runJobs`.
 */
export async function startTestApp(
  opts: {
    env?: Record<string, string>;
    /** Defaults to a TestClock at TEST_START (test/support/clock.ts). */
    clock?: TestClock;
    role?: Role;
    captureLogs?: boolean;
    /** Reuse a database (for tests that run two instances side by side). */
    databaseUrl?: string;
  } = {},
): Promise<TestApp> {
  const db = opts.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = opts.databaseUrl ?? db!.url;
  // A known port up front, so PUBLIC_URL (links, gateway return and webhook URLs) points at this app.
  const port = await freePort();
  const config = loadConfig(
    testEnv({
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...opts.env,
    }),
  );
  const clock = opts.clock ?? new TestClock();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      if (opts.captureLogs) logs.push(chunk.toString());
      cb();
    },
  });
  const log = pino({ ...loggerOptions(opts.captureLogs ? 'trace' : 'warn') }, sink);
  const carebook = await startCarebook({ config, role: opts.role ?? 'api', clock, log });
  const url = carebook.url!;
  // Every reply is checked against /openapi.json after the test file (test/contract/replies.setup.ts).
  if (carebook.app) recordReplies(carebook.app.server, carebook.app.swagger());
  return {
    ...carebook,
    url,
    clock,
    logs,
    http: httpClient(url),
    runJobs: (o = {}) => carebook.platform.jobs.runPending({ ignoreStartAfter: true, ...o }),
    async close() {
      await carebook.stop();
      await db?.drop();
    },
  };
}

export type HttpResult<T = any> = { status: number; body: T; headers: Headers };

/** Real HTTP requests against a running app. */
export function httpClient(baseUrl: string) {
  async function request<T = any>(
    method: string,
    path: string,
    opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.body);
    }
    if (opts.raw !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  return {
    request,
    get: <T = any>(path: string, o?: Parameters<typeof request>[2]) => request<T>('GET', path, o),
    post: <T = any>(path: string, body?: unknown, o?: Parameters<typeof request>[2]) =>
      request<T>('POST', path, { ...o, body }),
    put: <T = any>(path: string, body?: unknown, o?: Parameters<typeof request>[2]) =>
      request<T>('PUT', path, { ...o, body }),
    patch: <T = any>(path: string, body?: unknown, o?: Parameters<typeof request>[2]) =>
      request<T>('PATCH', path, { ...o, body }),
    delete: <T = any>(path: string, o?: Parameters<typeof request>[2]) => request<T>('DELETE', path, o),
  };
}
