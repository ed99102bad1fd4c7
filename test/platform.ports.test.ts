import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';
import {
  embeddedFiles,
  freePort,
  launchServer,
  postgresBinary,
  startEmbeddedPostgres,
} from '../src/platform/db/embedded.js';
import { startCarebook } from '../src/runtime.js';
import { startOnFreePort, testEnv } from './support/app.js';
import { createTestDatabase } from './support/db.js';

/** Another process holds this port for the length of the test. */
async function occupiedPort(): Promise<{ port: number; release(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  // It accepts and never answers, like a port taken by something else.
  const srv = net.createServer((s) => sockets.add(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  const release = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      srv.close(() => r());
    });
  return { port, release };
}

describe('a free port taken before we listen on it', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'carebook-ports-'));
    chmodSync(root, 0o755);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('the test harness starts the app again on another port, with PUBLIC_URL following it', async () => {
    const db = await createTestDatabase();
    const busy = await occupiedPort();
    const tried: number[] = [];
    const carebook = await startOnFreePort((free) => {
      // The first port handed out is taken by the time the app listens.
      const port = tried.length === 0 ? busy.port : free;
      tried.push(port);
      const config = loadConfig(
        testEnv({ DATABASE_URL: db.url, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }),
      );
      return startCarebook({ config, role: 'api', log: pino({ level: 'silent' }) });
    });
    try {
      expect(tried).toHaveLength(2);
      expect(tried[0]).toBe(busy.port);
      expect(carebook.url).toBe(`http://127.0.0.1:${tried[1]}`);
      expect(carebook.platform.config.http.publicUrl).toBe(carebook.url);
      expect((await fetch(`${carebook.url}/readyz`)).status).toBe(200);
    } finally {
      await carebook.stop();
      await busy.release();
      await db.drop();
    }
  }, 120_000);

  test('the embedded PostgreSQL moves to another port unless the port was fixed', async () => {
    const dataDir = path.join(root, 'postgres');
    const first = await startEmbeddedPostgres({ dataDir });
    await first.stop();
    const password = readFileSync(embeddedFiles(dataDir).password, 'utf8').trim();
    const binary = (await postgresBinary())!;
    const busy = await occupiedPort();
    const probeUrl = (port: number) => `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
    const launch = (fixedPort: boolean) =>
      launchServer(
        { binary, dataDir, port: busy.port, fixedPort, probeUrl, onLog: () => {} },
        async () => {},
      );
    try {
      await expect(launch(true)).rejects.toThrow();

      const moved = await launch(false);
      try {
        expect(moved.port).not.toBe(busy.port);
        const client = new pg.Client({ connectionString: probeUrl(moved.port) });
        await client.connect();
        expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
        await client.end();
      } finally {
        moved.child.kill('SIGINT');
        await new Promise((r) => moved.child.once('exit', r));
        process.off('exit', moved.onExit);
      }
    } finally {
      await busy.release();
    }
    expect(await freePort()).toBeGreaterThan(0);
  }, 120_000);
});
