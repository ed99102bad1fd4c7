/**
 * The benchmark's floor and platform figures (issue 12): pgbench tpcb-like on the same embedded
 * server, job throughput of one worker process against bare pg-boss, the API's RSS under load, and
 * the time a second start takes to be ready.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import PgBoss from 'pg-boss';
import pino from 'pino';
import { freePort } from '../src/platform/db/embedded.js';
import { DEFAULT_CONCURRENCY, defineJob, JobQueue, registerJob } from '../src/platform/jobs.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** pgbench's default (TPC-B-like) script, 50 clients, on a database of its own on the same server. */
export async function pgbenchTps(dbUrl: string, seconds = 15): Promise<{ tps: number; scale: number }> {
  const admin = new pg.Client({ connectionString: dbUrl });
  await admin.connect();
  await admin.query('drop database if exists pgbench');
  await admin.query('create database pgbench');
  await admin.end();
  const url = new URL(dbUrl);
  url.pathname = '/pgbench';
  const scale = 10;
  execFileSync('pgbench', ['-i', '-q', '-s', String(scale), url.toString()], { stdio: 'ignore' });
  const out = execFileSync('pgbench', ['-c', '50', '-j', '2', '-T', String(seconds), url.toString()], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? 0);
  const drop = new pg.Client({ connectionString: dbUrl });
  await drop.connect();
  await drop.query('drop database if exists pgbench with (force)');
  await drop.end();
  return { tps, scale };
}

export type JobFigures = {
  jobs: number;
  bareSendPerSec: number;
  bareFetchCompletePerSec: number;
  workerPerSec: number;
  concurrency: number;
};

/**
 * Throughput of our worker (one process, one queue, a handler that does nothing) against bare
 * pg-boss: `send` one by one (10 at a time) and `fetch` 50 + `complete` in one loop.
 */
export async function jobThroughput(
  dbUrl: string,
  jobs = 5000,
  concurrency = DEFAULT_CONCURRENCY,
): Promise<JobFigures> {
  const boss = new PgBoss({ connectionString: dbUrl, max: 10, supervise: false, schedule: false });
  boss.on('error', () => {});
  await boss.start();
  const bare = 'bench.bare';
  await boss.createQueue(bare).catch(() => {});
  let t0 = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (sent < jobs) {
        sent++;
        await boss.send(bare, { n: sent });
      }
    }),
  );
  const bareSendPerSec = jobs / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  let done = 0;
  for (;;) {
    const batch = await boss.fetch(bare, { batchSize: 50 });
    if (!batch.length) break;
    await boss.complete(
      bare,
      batch.map((j) => j.id),
    );
    done += batch.length;
  }
  const bareFetchCompletePerSec = done / ((performance.now() - t0) / 1000);

  const def = defineJob<{ n: number }>('bench.worker');
  let ran = 0;
  const queue = JobQueue.create(dbUrl, pino({ level: 'silent' }), { worker: false });
  await queue.start();
  await queue.register([registerJob(def, async () => void ran++)]);
  await boss.insert(Array.from({ length: jobs }, (_, n) => ({ name: def.name, data: { n } })));
  t0 = performance.now();
  await queue.startWorkers({ concurrency });
  while (ran < jobs) await sleep(5);
  // Until every completion is recorded, not only run.
  const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
  pool.on('error', () => {});
  for (;;) {
    const { rows } = await pool.query(
      `select count(*)::int as n from pgboss.job where name = $1 and state = 'completed'`,
      [def.name],
    );
    if (rows[0].n >= jobs) break;
    await sleep(5);
  }
  const workerPerSec = jobs / ((performance.now() - t0) / 1000);
  await pool.end();
  await queue.stop();
  await boss.stop({ graceful: false, wait: true });
  return { jobs, bareSendPerSec, bareFetchCompletePerSec, workerPerSec, concurrency };
}

/** Peak resident memory of a process while `during` runs (sampled from /proc every 100 ms). */
export async function peakRss<T>(
  pid: number,
  during: () => Promise<T>,
): Promise<{ result: T; peakMb: number }> {
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        peak = Math.max(peak, kb);
      } catch {}
      await sleep(100);
    }
  })();
  const result = await during();
  running = false;
  await sampler;
  return { result, peakMb: peak / 1024 };
}

export type StartFigures = { firstMs: number; secondMs: number; phases: Record<string, number> };

/** What `npm start` runs (builds skipped when nothing changed, then compiled JavaScript). */
export const START_COMMAND = ['bin/start.js', 'serve'];
/** The TypeScript sources through tsx (the tests' way), for comparison. */
export const TSX_COMMAND = ['--import', 'tsx', 'src/main.ts', 'serve'];

/**
 * The real start command (`npm start`'s, or another) on a fresh DATA_DIR: the first start creates the cluster, migrates and
 * seeds; the second reuses them. Time from spawn to /readyz 200, with when each log line came.
 */
export async function startTimes(command = START_COMMAND): Promise<StartFigures> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'carebook-bench-start-'));
  chmodSync(root, 0o755);
  try {
    const first = await timedStart(root, command);
    const second = await timedStart(root, command);
    return { firstMs: first.ms, secondMs: second.ms, phases: second.phases };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function timedStart(
  root: string,
  command: string[],
): Promise<{ ms: number; phases: Record<string, number> }> {
  const port = await freePort();
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const child: ChildProcess = spawn(process.execPath, command, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      DATA_DIR: path.join(root, 'data'),
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      DOTENV_CONFIG_PATH: path.join(root, 'no.env'),
      DOTENV_CONFIG_QUIET: 'true',
    },
  });
  const mark = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      const msg = /"msg":"([^"]+)"/.exec(line)?.[1];
      if (msg && !(msg in phases)) phases[msg] = Math.round(performance.now() - t0);
    }
  };
  child.stdout!.on('data', mark);
  child.stderr!.on('data', mark);
  let ms = 0;
  for (;;) {
    if (child.exitCode !== null) throw new Error('carebook serve exited during the start benchmark');
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) {
      ms = performance.now() - t0;
      break;
    }
    await sleep(50);
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
  return { ms, phases };
}

/** The line prefix `bench/billing-tick.ts` writes its figures after, as JSON. */
export const BENCH_RESULT = 'BENCH_RESULT';

export type TickFigures = { sessions: number; tickMs: number[]; insertMs: number[] };

/**
 * Issue 13's billing tick over 10,000 active sessions (`npm run bench:billing`, each run on a fresh
 * embedded server), `runs` times: the tick moves ±15% between runs on this VM, so the report
 * gives the median and every run.
 */
export async function billingTicks(runs = 3): Promise<TickFigures> {
  const figures: TickFigures = { sessions: 0, tickMs: [], insertMs: [] };
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/billing-tick.ts'], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = out.split('\n').find((l) => l.startsWith(`${BENCH_RESULT} `));
    if (!line) throw new Error(`bench/billing-tick.ts printed no ${BENCH_RESULT} line:\n${out}`);
    const r = JSON.parse(line.slice(BENCH_RESULT.length + 1)) as {
      sessions: number;
      tickMs: number;
      insertMs: number;
    };
    figures.sessions = r.sessions;
    figures.tickMs.push(r.tickMs);
    figures.insertMs.push(r.insertMs);
  }
  return figures;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
