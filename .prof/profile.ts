import { chmodSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import type { SessionsService } from '../src/modules/sessions/index.js';
import { ManualClock } from '../src/platform/clock.js';
import { startCarebook } from '../src/runtime.js';
import { setup } from './setup.js';

const N = Number(process.env.BENCH_SESSIONS ?? 10_000);
const WORKERS = Number(process.env.BENCH_TICK_WORKERS ?? 1);
const EXPLAIN = process.env.EXPLAIN === '1';

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'carebook-prof-'));
  chmodSync(dataDir, 0o755);
  const config = loadConfig({ ...process.env, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir,
    DATABASE_URL: undefined, LOG_LEVEL: 'warn', SEED_DEMO_DATA: 'false', DATABASE_POOL_MAX: '12' });
  const clock = new ManualClock('2030-01-07T06:00:00Z');
  const carebook = await startCarebook({ config, role: 'api', log: pino({ level: 'warn' }), clock, listen: false });
  const { pool } = carebook.platform;
  const sessions = (carebook.modules.find((m) => m.name === 'sessions') as unknown as { service: SessionsService }).service;
  await setup(pool, clock.now(), N, 200);
  const times = new Map<string, { n: number; ms: number }>();
  const proto = pg.Client.prototype as any;
  const orig = proto.query;
  const seen = new WeakSet();
  proto.query = function (this: any, ...args: any[]) {
    const text: string = typeof args[0] === 'string' ? args[0] : args[0]?.text ?? '?';
    const key = text.replace(/\s+/g, ' ').slice(0, 90);
    const t0 = performance.now();
    const self = this;
    const pre = EXPLAIN && !seen.has(self) ? (seen.add(self), orig.call(self, `load 'auto_explain'; set auto_explain.log_min_duration = 50; set auto_explain.log_analyze = on; set auto_explain.log_nested_statements = on; set auto_explain.log_triggers = on; set auto_explain.log_buffers = on`)) : null;
    const run = () => orig.apply(self, args);
    const p = pre ? pre.then(run) : run();
    if (p && typeof p.then === 'function')
      p.then(() => { const e = times.get(key) ?? { n: 0, ms: 0 }; e.n++; e.ms += performance.now() - t0; times.set(key, e); }, () => {});
    return p;
  };
  const t0 = performance.now();
  const settled = await sessions.settleDue({ workers: WORKERS });
  const ms = performance.now() - t0;
  proto.query = orig;
  console.log(`settled ${settled} in ${ms.toFixed(0)} ms`);
  for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(v.ms.toFixed(0).padStart(7), String(v.n).padStart(6), k);
  console.log('datadir', dataDir);
  await carebook.stop();
}
main().catch((e) => { console.error(e); process.exit(1); });
