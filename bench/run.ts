/**
 * `npm run bench`: Carebook's first benchmark, in one run on the embedded database.
 *
 * 1. Slot search: GET /api/clinicians/:id/slots over 30 days for one clinician, 50 connections
 *    (autocannon), against a bare Fastify route returning a reply of the same size.
 * 2. Paid initiate: POST /api/booking/initiate at 50 concurrent clients over many clinicians,
 *    against the very SQL statements one initiate runs (recorded from a real request), replayed
 *    through raw `pg` at the same concurrency and pool size.
 *
 * Prints the figures and writes them to docs/performance.md with the machine and the command.
 */
import { execFileSync, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { ensureServerBuild } from '../bin/build.js';
import { databaseCpuMs } from './carebook.js';
import {
  billingTicks,
  type JobFigures,
  jobThroughput,
  median,
  peakRss,
  pgbenchTps,
  type StartFigures,
  startTimes,
  type TickFigures,
  TSX_COMMAND,
} from './extra.js';
import type { Ready } from './server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const biomeBin = path.join(here, '..', 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
const CONNECTIONS = 50;
const KEPT_FROM = '## Where the time goes';
const SEARCH_SECONDS = Number(process.env.BENCH_SEARCH_SECONDS ?? 10);
const INITIATES = Number(process.env.BENCH_INITIATES ?? 2500);
/**
 * BENCH_ONLY=search: only the slot search and the bare route, BENCH_SEARCH_ROUNDS times each in turns,
 * no report written; BENCH_ONLY=search-app: the slot search alone (a CPU profile without the bare route).
 */
const ONLY_SEARCH = process.env.BENCH_ONLY?.startsWith('search') ?? false;
const WITH_BARE = process.env.BENCH_ONLY !== 'search-app';
const SEARCH_ROUNDS = Number(process.env.BENCH_SEARCH_ROUNDS ?? 1);

type Figures = { p50: number; p99: number; rps: number; ok: number; errors: number };

type Server = {
  ready: Ready;
  pid: number;
  memory: () => Promise<NodeJS.MemoryUsage>;
  stop: () => Promise<void>;
};

async function startServer(): Promise<Server> {
  // Compiled like `npm start` runs the server: under tsx the process also holds the loader thread
  // and its transform caches (about 50 MB of RSS at idle, measured 2026-12-01).
  const { file } = await ensureServerBuild({
    entry: 'bench/server.ts',
    outDir: path.join(here, '..', '.data', 'bench-dist'),
    sourceDirs: ['src', 'bench'],
  });
  const child = fork(file, [], {
    execArgv: [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=.data/bench-prof'] : [])],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.on('message', (msg: { type: string; ready?: Ready; dataDir?: string }) => {
      if (msg.type === 'ready')
        resolve({
          ready: msg.ready!,
          pid: child.pid!,
          memory: () =>
            new Promise((done) => {
              const on = (m: { type: string; usage?: NodeJS.MemoryUsage }) => {
                if (m.type !== 'memory') return;
                child.off('message', on);
                done(m.usage!);
              };
              child.on('message', on);
              child.send({ type: 'memory' });
            }),
          stop: () =>
            new Promise((done) => {
              child.removeAllListeners('exit');
              child.on('message', (m: { type: string; dataDir?: string }) => {
                if (m.type === 'stopped' && m.dataDir) rmSync(m.dataDir, { recursive: true, force: true });
              });
              child.once('exit', () => done());
              child.send({ type: 'stop' });
            }),
        });
    });
  });
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const memoryLine = (m: NodeJS.MemoryUsage) =>
  `RSS ${mb(m.rss)}: V8 heap ${mb(m.heapUsed)} used of ${mb(m.heapTotal)}, external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)})`;

const fromAutocannon = (r: autocannon.Result, ok: number): Figures => ({
  p50: r.latency.p50,
  p99: r.latency.p99,
  rps: ok / r.duration,
  ok,
  errors: r.errors + r.non2xx,
});

async function searchLoad(url: string, warm = true): Promise<Figures> {
  if (warm) await autocannon({ url, connections: CONNECTIONS, duration: 2 }); // warm-up
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SEARCH_SECONDS });
  return fromAutocannon(r, r['2xx']);
}

/** The n-th distinct (clinician, slot) of a pool of clinicians, clinician-major so requests spread out. */
const pick = (clinicians: string[], starts: string[], n: number) => ({
  clinicianId: clinicians[n % clinicians.length]!,
  startAt: starts[Math.floor(n / clinicians.length)]!,
});

async function initiateLoad(
  ready: Ready,
  clinicians: string[],
  patients: Ready['patients'],
): Promise<Figures> {
  let next = 0;
  const r = await autocannon({
    url: `${ready.appUrl}/api/booking/initiate`,
    connections: CONNECTIONS,
    amount: INITIATES,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const n = next++;
          const p = patients[n]!;
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}` },
            body: JSON.stringify({ ...pick(clinicians, ready.slotStarts, n), mode: 'online' }),
          };
        },
      },
    ],
  });
  return fromAutocannon(r, r['2xx']);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Replays the recorded statements of one initiate for another patient, clinician and slot. */
async function replayOne(
  client: pg.PoolClient,
  rec: Ready['recorded'],
  target: { patientId: string; clinicianId: string; startAt: string },
) {
  const ids = new Map<string, string>([
    [rec.patientId, target.patientId],
    [rec.clinicianId, target.clinicianId],
    [rec.startAt, target.startAt],
    [rec.endAt, new Date(Date.parse(target.startAt) + 30 * 60_000).toISOString()],
  ]);
  const times = new Map([
    [Date.parse(rec.startAt), new Date(target.startAt)],
    [Date.parse(rec.endAt), new Date(Date.parse(target.startAt) + 30 * 60_000)],
  ]);
  const sub = (v: unknown, isInsert: boolean): unknown => {
    if (v instanceof Date) return times.get(v.getTime()) ?? v;
    if (Array.isArray(v)) return v.map((x) => sub(x, isInsert));
    if (typeof v !== 'string') return v;
    // Ids the app minted itself (uuids, `sbx_<hex>` checkout ids) are minted afresh for each replay.
    if (isInsert && !ids.has(v) && UUID.test(v)) ids.set(v, randomUUID());
    const minted = /^([a-z]+_)[0-9a-f]{32}$/.exec(v);
    if (isInsert && !ids.has(v) && minted) ids.set(v, minted[1] + randomUUID().replace(/-/g, ''));
    let out = v;
    for (const [from, to] of ids) if (out.includes(from)) out = out.split(from).join(to);
    return out;
  };
  for (const st of rec.statements) {
    const isInsert = /^\s*insert/i.test(st.text);
    // A statement without parameters may carry ids in its text (BEGIN with the advisory locks) and
    // may be several statements, answered with one result each.
    const text = st.values.length === 0 ? (sub(st.text, false) as string) : st.text;
    const res = (await client.query(
      text,
      st.values.map((v) => sub(v, isInsert)),
    )) as pg.QueryResult | pg.QueryResult[];
    const row = (Array.isArray(res) ? res.at(-1) : res)?.rows[0] as Record<string, unknown> | undefined;
    if (st.rowId && row && typeof row.id === 'string' && !ids.has(st.rowId)) ids.set(st.rowId, row.id);
  }
}

/** BENCH_PROFILE=1: time each recorded statement once, sequentially, to see where the time goes. */
async function profile(ready: Ready, clinicianId: string, patientId: string, startAt: string) {
  const pool = new pg.Pool({ connectionString: ready.dbUrl, max: 1 });
  const client = await pool.connect();
  const rec = ready.recorded;
  const timed: Array<[number, string]> = [];
  const original = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
  (client as unknown as { query: unknown }).query = async (...a: unknown[]) => {
    const t0 = performance.now();
    const r = await original(...a);
    timed.push([performance.now() - t0, String(a[0]).replace(/\s+/g, ' ').slice(0, 110)]);
    return r;
  };
  await replayOne(client, rec, { patientId, clinicianId, startAt });
  client.release();
  await pool.end();
  for (const [ms, text] of timed) console.log(`${ms.toFixed(1).padStart(7)} ms  ${text}`);
}

async function rawLoad(ready: Ready, clinicians: string[], patients: Ready['patients']): Promise<Figures> {
  const pool = new pg.Pool({ connectionString: ready.dbUrl, max: ready.poolMax });
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let n = next++; n < INITIATES; n = next++) {
        const started = performance.now();
        const client = await pool.connect();
        try {
          await replayOne(client, ready.recorded, {
            patientId: patients[n]!.id,
            ...pick(clinicians, ready.slotStarts, n),
          });
          latencies.push(performance.now() - started);
        } catch (err) {
          if (errors++ === 0) console.error('raw replay failed:', err);
          await client.query('rollback').catch(() => {});
        } finally {
          client.release();
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await pool.end();
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
  return { p50: q(0.5), p99: q(0.99), rps: latencies.length / seconds, ok: latencies.length, errors };
}

const fmt = (f: Figures) =>
  `p50 ${f.p50} ms, p99 ${f.p99} ms, ${f.rps.toFixed(0)}/s (${f.ok} ok, ${f.errors} errors)`;
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;

/** CPU seconds a process has used so far in user and in kernel mode, from /proc (ticks of 1/100 s). */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
};

/**
 * Milliseconds of CPU per operation while `load` runs: the API server's, PostgreSQL's, and this
 * process's (the load generator) — on a small machine they share the cores, so each counts.
 */
async function cpuPer<T extends { ok: number }>(pid: number, pgDataDir: string, load: () => Promise<T>) {
  const before = { api: cpuSeconds(pid), pgMs: databaseCpuMs(pgDataDir) ?? 0, self: process.cpuUsage() };
  const f = await load();
  const api = cpuSeconds(pid);
  const self = process.cpuUsage(before.self);
  const per = (s: number) => (s * 1000) / Math.max(1, f.ok);
  return {
    ...f,
    cpuMs: {
      api: per(api.user + api.system - before.api.user - before.api.system),
      apiKernel: per(api.system - before.api.system),
      postgres: per(((databaseCpuMs(pgDataDir) ?? 0) - before.pgMs) / 1000),
      loadGenerator: per((self.user + self.system) / 1e6),
    },
  };
}
type CpuPerOp = { api: number; apiKernel: number; postgres: number; loadGenerator: number };
const cpuCell = (c: CpuPerOp) =>
  `API ${c.api.toFixed(2)} ms (kernel ${c.apiKernel.toFixed(2)}), PostgreSQL ${c.postgres.toFixed(2)} ms, load generator ${c.loadGenerator.toFixed(2)} ms`;
const cpuLine = (c: CpuPerOp) => `CPU per op: ${cpuCell(c)}`;

/** The server's CPU time per answered request while `load` runs, in microseconds (and its kernel part). */
async function withCpu(pid: number, url: string) {
  await autocannon({ url, connections: CONNECTIONS, duration: 2 }); // warm-up
  const before = cpuSeconds(pid);
  const f = await searchLoad(url, false);
  const after = cpuSeconds(pid);
  const per = (s: number) => (s * 1e6) / Math.max(1, f.ok);
  const systemUs = per(after.system - before.system);
  return { ...f, cpuUs: per(after.user - before.user) + systemUs, systemUs };
}

/** BENCH_ONLY=search: app and bare route in turns, so both sides of each ratio see the same load. */
async function searchOnly(ready: Ready, pid: number) {
  console.log(`slot search only: ${SEARCH_ROUNDS} round(s) of ${SEARCH_SECONDS} s each side`);
  for (let round = 1; round <= SEARCH_ROUNDS; round++) {
    const app = await peakRss(pid, () => withCpu(pid, ready.appUrl + ready.slotPath));
    const bare = WITH_BARE ? await withCpu(pid, `${ready.bareUrl}/bare`) : undefined;
    const cpu = (f: { cpuUs: number; systemUs: number }) =>
      `${f.cpuUs.toFixed(0)} µs CPU/req (kernel ${f.systemUs.toFixed(0)})`;
    const vs = bare ? `bare ${fmt(bare)}, ${cpu(bare)} | ${pct(app.result.rps, bare.rps)}` : 'no bare route';
    console.log(
      `round ${round}: slot search ${fmt(app.result)}, ${cpu(app.result)}, peak RSS ${app.peakMb.toFixed(0)} MB | ${vs} | load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')}`,
    );
  }
}

/**
 * BENCH_ONLY=initiate: only the paid initiate, its raw replay and pgbench, back to back in one
 * server (for A/B runs of initiate work); prints the figures, writes nothing.
 */
async function initiateOnly(server: Server) {
  const { ready, pid } = server;
  const half = Math.floor((ready.clinicians.length - 1) / 2);
  const initiated = await peakRss(pid, () =>
    cpuPer(pid, ready.pgDataDir, () =>
      initiateLoad(ready, ready.clinicians.slice(0, half), ready.patients.slice(0, INITIATES)),
    ),
  );
  const rawClinicians = ready.clinicians.slice(half, 2 * half);
  if (process.env.BENCH_PROFILE)
    await profile(ready, rawClinicians[0]!, ready.patients.at(-1)!.id, ready.slotStarts[5]!);
  const raw = await cpuPer(pid, ready.pgDataDir, () =>
    rawLoad(ready, rawClinicians, ready.patients.slice(INITIATES, 2 * INITIATES)),
  );
  const tpcb = await pgbenchTps(ready.dbUrl);
  console.log(
    [
      `paid initiate (${INITIATES}): ${fmt(initiated.result)}; peak RSS ${initiated.peakMb.toFixed(0)} MB`,
      `  ${cpuLine(initiated.result.cpuMs)}`,
      `same ${ready.recorded.statements.length} SQL statements through raw pg: ${fmt(raw)}`,
      `  ${cpuLine(raw.cpuMs)}`,
      `pgbench tpcb-like: ${tpcb.tps.toFixed(0)} tps -> initiates at ${pct(initiated.result.rps, tpcb.tps)} (raw ${pct(raw.rps, tpcb.tps)})`,
      `load average: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}`,
    ].join('\n'),
  );
}

async function main() {
  console.log('starting Carebook on a fresh embedded PostgreSQL and seeding bench data ...');
  const server = await startServer();
  if (process.env.BENCH_ONLY === 'initiate') {
    try {
      return await initiateOnly(server);
    } finally {
      await server.stop();
    }
  }
  const { ready, pid } = server;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= server.stop();
    return stopped;
  };
  try {
    if (ONLY_SEARCH) return await searchOnly(ready, pid);
    // The bare Fastify route lives in the same process: its load's peak is not the API's.
    const searched = await peakRss(pid, () => searchLoad(ready.appUrl + ready.slotPath));
    const bared = await peakRss(pid, () => searchLoad(`${ready.bareUrl}/bare`));
    const half = Math.floor((ready.clinicians.length - 1) / 2);
    const appClinicians = ready.clinicians.slice(0, half);
    const initiated = await peakRss(pid, () =>
      cpuPer(pid, ready.pgDataDir, () =>
        initiateLoad(ready, appClinicians, ready.patients.slice(0, INITIATES)),
      ),
    );
    const [search, bare, initiate] = [searched.result, bared.result, initiated.result];
    const loads = {
      peakMb: Math.max(searched.peakMb, initiated.peakMb),
      searchMb: searched.peakMb,
      bareMb: bared.peakMb,
      initiateMb: initiated.peakMb,
    };
    const memory = await server.memory();
    console.log(
      `peak API RSS under load: ${loads.peakMb.toFixed(0)} MB (slot search ${loads.searchMb.toFixed(0)}, initiate ${loads.initiateMb.toFixed(0)}; the bare route's load ${loads.bareMb.toFixed(0)}; after it: ${memoryLine(memory)})`,
    );
    const rawClinicians = ready.clinicians.slice(half, 2 * half);
    if (process.env.BENCH_PROFILE)
      await profile(
        ready,
        rawClinicians[0]!,
        ready.patients[ready.patients.length - 1]!.id,
        ready.slotStarts[5]!,
      );
    const raw = await cpuPer(pid, ready.pgDataDir, () =>
      rawLoad(ready, rawClinicians, ready.patients.slice(INITIATES, 2 * INITIATES)),
    );
    console.log('pgbench tpcb-like, 50 clients, on the same server ...');
    const tpcb = await pgbenchTps(ready.dbUrl);
    console.log('job throughput: bare pg-boss and one worker process ...');
    const jobsFig = await jobThroughput(ready.dbUrl);
    await stop();
    console.log('first and second start of `carebook serve` ...');
    const starts = await startTimes();
    const tsxStarts = await startTimes(TSX_COMMAND);
    console.log('billing tick over 10,000 active sessions (three runs of npm run bench:billing) ...');
    const ticks = await billingTicks();
    const platform = {
      tpcb,
      jobs: jobsFig,
      rssMb: loads.peakMb,
      rss: loads,
      memory,
      starts,
      tsxStarts,
      ticks,
    };
    const lines = [
      `slot search (30 days, ${ready.slotBytes} B reply): ${fmt(search)}`,
      `bare Fastify route (same size):          ${fmt(bare)}`,
      `paid initiate (${INITIATES}, ${appClinicians.length} clinicians): ${fmt(initiate)}`,
      `  ${cpuLine(initiate.cpuMs)}`,
      `same SQL through raw pg:                 ${fmt(raw)}`,
      `  ${cpuLine(raw.cpuMs)}`,
      `pgbench tpcb-like (50 clients, scale ${tpcb.scale}): ${tpcb.tps.toFixed(0)} tps -> paid initiates at ${pct(initiate.rps, tpcb.tps)} of it (target >= 15%)`,
      `SQL round trips per paid initiate: ${ready.recorded.statements.length} (target <= 10)`,
      `jobs: worker ${jobsFig.workerPerSec.toFixed(0)}/s at concurrency ${jobsFig.concurrency} (target >= 500; ${pct(jobsFig.workerPerSec, jobsFig.bareFetchCompletePerSec)} of bare fetch+complete), bare fetch+complete ${jobsFig.bareFetchCompletePerSec.toFixed(0)}/s, bare send ${jobsFig.bareSendPerSec.toFixed(0)}/s`,
      `peak API RSS under load: ${loads.peakMb.toFixed(0)} MB (target <= 250 MB)`,
      `start to ready: first ${(starts.firstMs / 1000).toFixed(1)} s, second ${(starts.secondMs / 1000).toFixed(1)} s (target <= 5 s); through tsx: second ${(tsxStarts.secondMs / 1000).toFixed(1)} s`,
      `billing tick over ${ticks.sessions} sessions: median ${seconds(median(ticks.tickMs))} (target <= 2 s; runs ${ticks.tickMs.map(seconds).join(', ')}), ${tickRatio(ticks)} of as many bare single-row inserts`,
    ];
    console.log(`\n${lines.join('\n')}\n`);
    writeReport({ search, bare, initiate, raw, ready, platform });
    return;
  } finally {
    await stop();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const tickRatio = (t: TickFigures) => `${(median(t.tickMs) / median(t.insertMs)).toFixed(2)}x`;

type PlatformFigures = {
  ticks: TickFigures;
  tpcb: { tps: number; scale: number };
  jobs: JobFigures;
  rssMb: number;
  rss: { searchMb: number; bareMb: number; initiateMb: number };
  memory: NodeJS.MemoryUsage;
  starts: StartFigures;
  tsxStarts: StartFigures;
};

function writeReport(r: {
  search: Figures;
  bare: Figures;
  initiate: Figures & { cpuMs: CpuPerOp };
  raw: Figures & { cpuMs: CpuPerOp };
  ready: Ready;
  platform: PlatformFigures;
}) {
  const row = (name: string, f: Figures) =>
    `| ${name} | ${f.p50} | ${f.p99} | ${f.rps.toFixed(0)} | ${f.ok} | ${f.errors} |`;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const md = `# Performance

Measured by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 10)}. One run: Carebook
(\`--role=api\`, pool ${r.ready.poolMax}) on a fresh embedded PostgreSQL in a child process; the load generators
(autocannon, and the raw-\`pg\` replay) in the parent. Latencies in milliseconds.

Machine: ${os.cpus().length} CPU (\`nproc\` ${os.availableParallelism()}) ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory,
Node ${process.version}, ${os.platform()} ${os.release()}. Load average when the run ended: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')} (the machine is shared; other work running at the same time slows both sides of each ratio).

Command: \`npm run bench\` (env: BENCH_SEARCH_SECONDS=${SEARCH_SECONDS}, BENCH_INITIATES=${INITIATES}, 50 connections).

## Slot search: 30 days for one clinician, 50 connections

| target | p50 | p99 | req/s | ok | errors |
|---|---|---|---|---|---|
${row('GET /api/clinicians/:id/slots (30 days)', r.search)}
${row(`bare Fastify route, same ${r.ready.slotBytes} B reply`, r.bare)}

Slot search runs at **${pct(r.search.rps, r.bare.rps)}** of the bare route (target >= 50%); p99 **${r.search.p99} ms**
(target <= 20 ms).

## Paid initiate: 50 concurrent clients over many clinicians

| target | p50 | p99 | commits/s | ok | errors |
|---|---|---|---|---|---|
${row('POST /api/booking/initiate (hold + payment + sandbox checkout)', r.initiate)}
${row(`the same ${r.ready.recorded.statements.length} SQL statements through raw pg`, r.raw)}

Initiate commits at **${pct(r.initiate.rps, r.raw.rps)}** of the raw SQL rate (target >= 40%).

The raw variant replays, per request, the exact statements one real initiate ran (recorded from
the pg client: auth session check, catalog and schedule reads, plan policy, the hold transaction
with its advisory lock, exclusion-checked insert, payment row and pg-boss job, and the sandbox
checkout), on one pooled connection, with the patient, clinician and slot substituted. It skips
HTTP, JSON schema work, JWT verification and the app's parallel reads on separate connections.

## Against the physical floor (issue 12)

| figure | measured | target |
|---|---|---|
| pgbench tpcb-like, 50 clients, scale ${r.platform.tpcb.scale}, same server | ${r.platform.tpcb.tps.toFixed(0)} tps | |
| paid initiates/s as a share of tpcb-like | ${pct(r.initiate.rps, r.platform.tpcb.tps)} | >= 15% |
| SQL round trips per paid initiate | ${r.ready.recorded.statements.length} | <= 10 |
| CPU per paid initiate (the processes share the machine's cores) | ${cpuCell(r.initiate.cpuMs)} | |
| CPU per raw replay of its statements | ${cpuCell(r.raw.cpuMs)} | |
| jobs/s, one worker process (no-op handler, one queue, concurrency ${r.platform.jobs.concurrency}) | ${r.platform.jobs.workerPerSec.toFixed(0)} | >= 500 |
| bare pg-boss fetch 50 + complete, one loop | ${r.platform.jobs.bareFetchCompletePerSec.toFixed(0)}/s (worker at ${pct(r.platform.jobs.workerPerSec, r.platform.jobs.bareFetchCompletePerSec)}) | |
| bare pg-boss send, 10 at a time | ${r.platform.jobs.bareSendPerSec.toFixed(0)}/s | |
| peak API RSS during slot search and initiate load | ${r.platform.rssMb.toFixed(0)} MB (search ${r.platform.rss.searchMb.toFixed(0)}, initiate ${r.platform.rss.initiateMb.toFixed(0)}) | <= 250 MB |
| peak RSS of the same process under the bare route's load (not the API) | ${r.platform.rss.bareMb.toFixed(0)} MB | |
| the server process right after the load | ${memoryLine(r.platform.memory)} | |
| \`npm start\` (node bin/start.js serve) start to ready: first (initdb, migrate, seed, build) / second | ${(r.platform.starts.firstMs / 1000).toFixed(1)} s / ${(r.platform.starts.secondMs / 1000).toFixed(1)} s | second <= 5 s |
| the same through tsx (\`node --import tsx src/main.ts serve\`): first / second | ${(r.platform.tsxStarts.firstMs / 1000).toFixed(1)} s / ${(r.platform.tsxStarts.secondMs / 1000).toFixed(1)} s | |
| billing tick over ${r.platform.ticks.sessions} active sessions, one block due each (issue 13; \`npm run bench:billing\`, fresh server per run): median of ${r.platform.ticks.tickMs.length} | ${seconds(median(r.platform.ticks.tickMs))} (runs ${r.platform.ticks.tickMs.map(seconds).join(', ')}) | <= 2 s |
| the same number of bare single-row inserts, same concurrency: median; tick / inserts | ${seconds(median(r.platform.ticks.insertMs))}; ${tickRatio(r.platform.ticks)} | |

Second start, when each log line came (ms after spawn): ${Object.entries(r.platform.starts.phases)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ')}.

Knobs: BENCH_SEARCH_SECONDS, BENCH_INITIATES, BENCH_CLINICIANS, BENCH_PATIENTS; BENCH_ONLY=initiate runs only
the initiate, its raw replay and pgbench (prints, writes nothing); BENCH_PROFILE=1 prints
the time of each recorded statement once; BENCH_CPU_PROF=1 writes CPU profiles of the server process
to .data/bench-prof; BENCH_ONLY=search (with BENCH_SEARCH_ROUNDS) runs only the slot search against the bare
route, in turns, and writes no report; BENCH_ONLY=search-app only the slot search.
`;
  const out = path.join(here, '..', 'docs', 'performance.md');
  // The chaos run's section (written by hand from \`npm run chaos\`) and the analysis are kept.
  const previous = existsSync(out) ? readFileSync(out, 'utf8') : '';
  const kept = previous.indexOf(KEPT_FROM);
  writeFileSync(out, kept >= 0 ? `${md}\n${previous.slice(kept)}` : md);
  // Aligned tables, as `npm run lint` expects of every committed Markdown file.
  execFileSync(process.execPath, [biomeBin, 'format', '--write', out], { stdio: 'ignore' });
  console.log('written to docs/performance.md');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
