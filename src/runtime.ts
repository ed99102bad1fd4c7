import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createModules } from './modules/index.js';
import { type Clock, systemClock } from './platform/clock.js';
import { type EmbeddedDatabase, embeddedFiles, startEmbeddedPostgres } from './platform/db/embedded.js';
import { createPgListener } from './platform/db/listener.js';
import { runMigrations } from './platform/db/migrate.js';
import { createPool, waitForDatabase } from './platform/db/pool.js';
import { createUnitOfWork, guardPool } from './platform/db/uow.js';
import { JobQueue } from './platform/jobs.js';
import { loggerOptions } from './platform/logger.js';
import { createMetrics } from './platform/metrics.js';
import type { AppModule, Platform } from './platform/module.js';

export type Role = 'all' | 'api' | 'worker';

export type Carebook = {
  platform: Platform;
  modules: AppModule[];
  app?: FastifyInstance;
  /** The base URL the API listens on, when it does. */
  url?: string;
  stop(): Promise<void>;
};

export type StartOptions = {
  config: Config;
  role?: Role;
  clock?: Clock;
  log?: Logger;
  /** Listen on the configured port (default) or not at all (`false`). */
  listen?: boolean;
  migrate?: boolean;
};

export async function openDatabase(
  config: Config,
  log: Logger,
): Promise<{ url: string; embedded?: EmbeddedDatabase }> {
  if (config.db.url) return { url: config.db.url };
  log.info('no DATABASE_URL: starting embedded PostgreSQL under %s', path.join(config.dataDir, 'postgres'));
  const dataDir = path.join(config.dataDir, 'postgres');
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: config.db.embeddedPort,
  });
  log.info({ port: embedded.port }, 'embedded PostgreSQL is up (its log: %s)', embeddedFiles(dataDir).log);
  return { url: embedded.url, embedded };
}

/** Starts Carebook in one process: database, migrations, jobs, modules and (for api roles) the HTTP server. */
export async function startCarebook(opts: StartOptions): Promise<Carebook> {
  const { config } = opts;
  const role = opts.role ?? 'all';
  const log = opts.log ?? pino(loggerOptions(config.logLevel, !config.isProduction && process.stdout.isTTY));
  const { url, embedded } = await openDatabase(config, log);
  // One pool per process. Units of work take their connection from it; the application sees it
  // guarded, so nothing inside an open unit of work can take a second connection (docs/module-contracts.md).
  const rawPool = createPool(url, config.db.poolMax, {
    preparedStatements: config.db.preparedStatements,
    onConnectionError: (err: Error) => log.warn({ reason: err.message }, 'database connection lost'),
  });
  const pool = guardPool(rawPool);
  const stops: Array<() => Promise<unknown>> = [];
  // Last started, first stopped: HTTP, modules, listener, job workers, pools, then the database.
  // Each step is bounded, so a database that went away (or came back as another server) cannot hang it.
  const stop = async () => {
    for (const fn of stops.reverse()) await boundedStep(fn, log);
    stops.length = 0;
  };
  if (embedded) stops.push(() => embedded.stop());
  stops.push(() => rawPool.end());
  try {
    await waitForDatabase(rawPool, (reason) => log.warn({ reason }, 'waiting for the database'));
    if (opts.migrate ?? role !== 'worker') await runMigrations(rawPool);
    const jobs = JobQueue.create(url, log, { worker: role !== 'api' });
    await jobs.start();
    stops.push(() => jobs.stop());
    const metrics = createMetrics();
    const uow = createUnitOfWork(rawPool, jobs, (_attempt, code) => metrics.txRetries.inc({ code }));
    // LISTEN holds its session for the life of the process: one connection of its own, so it never
    // takes one from the pool that requests and units of work share.
    const listenSession = createPool(url, 1, {
      onConnectionError: (err: Error) => log.warn({ reason: err.message }, 'database connection lost'),
    });
    stops.push(() => listenSession.end());
    const listener = createPgListener({ pool: listenSession, log });
    stops.push(() => listener.close());
    const platform: Platform = {
      config,
      clock: opts.clock ?? systemClock,
      log,
      pool,
      uow,
      jobs,
      metrics,
      listener,
    };
    const modules = createModules(platform);
    for (const mod of modules) if (mod.close) stops.push(mod.close);
    await jobs.register(modules.flatMap((m) => m.jobs ?? []));
    if (role !== 'worker' && config.seedDemoData) await seedDemoOnce(platform, modules);
    if (role !== 'api') {
      await jobs.startWorkers({ concurrency: config.jobs.concurrency });
      log.info({ role }, 'job workers started');
    }

    let app: FastifyInstance | undefined;
    let listenUrl: string | undefined;
    if (role !== 'worker') {
      app = await buildApp({ config, pool, metrics, log, modules, clock: platform.clock });
      // Closing the server first stops new requests and waits for in-flight ones.
      stops.push(() => app!.close());
      if (opts.listen !== false) {
        await app.listen({ host: config.http.host, port: config.http.port });
        const addr = app.server.address();
        const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
        listenUrl = `http://127.0.0.1:${port}`;
      } else {
        await app.ready();
      }
    }
    return { platform, modules, app, url: listenUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Seeds demo data into an empty database exactly once, even with several instances starting together. */
export async function seedDemoOnce(platform: Platform, modules: AppModule[]): Promise<boolean> {
  const claimed = await platform.pool.query(
    `insert into app_meta (key, value) values ('demo_seeded', now()::text) on conflict (key) do nothing returning key`,
  );
  if (claimed.rowCount === 0) return false;
  try {
    for (const mod of modules) await mod.seedDemo?.();
  } catch (err) {
    await platform.pool.query(`delete from app_meta where key = 'demo_seeded'`);
    throw err;
  }
  return true;
}

const STOP_STEP_MS = 10_000;

async function boundedStep(fn: () => Promise<unknown>, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), STOP_STEP_MS);
  });
  try {
    const result = await Promise.race([fn(), late]);
    if (result === 'late') log.warn('a shutdown step took over %d ms; going on without it', STOP_STEP_MS);
  } catch (err) {
    log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'error during shutdown');
  } finally {
    clearTimeout(timer);
  }
}
