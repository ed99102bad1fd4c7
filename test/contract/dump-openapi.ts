/**
 * Prints /openapi.json without a database: the app is built with lazy pools that never connect.
 * `npm run openapi` writes it for the linters (redocly, spectral) in CI.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createModules } from '../../src/modules/index.js';
import { systemClock } from '../../src/platform/clock.js';
import { createPgListener } from '../../src/platform/db/listener.js';
import { createPool } from '../../src/platform/db/pool.js';
import { createUnitOfWork } from '../../src/platform/db/uow.js';
import { JobQueue } from '../../src/platform/jobs.js';
import { createMetrics } from '../../src/platform/metrics.js';

const out = process.argv[2];
if (out) mkdirSync(path.dirname(out), { recursive: true });
const url = 'postgres://unused@127.0.0.1:1/unused';
const config = loadConfig({
  NODE_ENV: 'development',
  DATABASE_URL: url,
  PUBLIC_URL: 'http://127.0.0.1:3000',
  DATA_DIR: '/tmp/carebook-openapi',
  JWT_SECRET: 'x'.repeat(32),
  OTP_SECRET: 'y'.repeat(32),
  SANDBOX_WEBHOOK_SECRET: 'z'.repeat(32),
});
const log = pino({ level: 'silent' });
const pool = createPool(url, 1);
const jobs = JobQueue.create(url, log, { worker: false });
const metrics = createMetrics();
const platform = {
  config,
  clock: systemClock,
  log,
  pool,
  uow: createUnitOfWork(pool, jobs),
  jobs,
  metrics,
  listener: createPgListener({ pool, log }),
};
const modules = createModules(platform);
const app = await buildApp({ config, pool, metrics, log, modules });
await app.ready();
const spec = JSON.stringify(app.swagger(), null, 2);
if (out) writeFileSync(out, spec);
else process.stdout.write(spec);
await app.close();
await pool.end();
