/**
 * What the benchmark processes share: Carebook started on a fresh embedded PostgreSQL in a temporary
 * DATA_DIR (no demo data, warnings only), and the CPU time that database's processes have used.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import type { Clock } from '../src/platform/clock.js';
import { type Role, startCarebook } from '../src/runtime.js';

export type BenchCarebook = Awaited<ReturnType<typeof startBenchCarebook>>;

/** `env` overrides the defaults; the data directory is removed on `stop()` unless `keep` is set. */
export async function startBenchCarebook(opts: {
  prefix: string;
  env?: Record<string, string | undefined>;
  role?: Role;
  clock?: Clock;
  listen?: boolean;
  keep?: boolean;
}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), opts.prefix));
  chmodSync(dataDir, 0o755);
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: undefined,
    LOG_LEVEL: 'warn',
    SEED_DEMO_DATA: 'false',
    ...opts.env,
  });
  const carebook = await startCarebook({
    config,
    role: opts.role ?? 'api',
    log: pino({ level: 'warn' }),
    clock: opts.clock,
    listen: opts.listen,
  });
  const service = <S>(name: string) =>
    (carebook.modules.find((m) => m.name === name) as unknown as { service: S }).service;
  return {
    carebook,
    config,
    dataDir,
    service,
    /** CPU milliseconds the embedded server's processes have used so far (null off Linux). */
    databaseCpuMs: () => databaseCpuMs(path.join(dataDir, 'postgres')),
    async stop() {
      await carebook.stop();
      if (!opts.keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let ticks: number | undefined;

/**
 * CPU time of one PostgreSQL server, from /proc: utime + stime of the postmaster and its live
 * children, plus the postmaster's cutime + cstime (its ended children: connections that came and
 * went still count).
 */
export function databaseCpuMs(pgDataDir: string): number | null {
  try {
    const postmaster = Number(readFileSync(path.join(pgDataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    let total = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      // "pid (comm) state ppid ... utime(14) stime(15)": fields counted after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(entry) === postmaster) total += Number(f[13]) + Number(f[14]);
      else if (Number(f[1]) !== postmaster) continue;
      total += Number(f[11]) + Number(f[12]);
    }
    return (total * 1000) / ticks;
  } catch {
    return null;
  }
}
