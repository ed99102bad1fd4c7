/**
 * `npm run chaos`: two API instances and a worker on one PostgreSQL (real processes, loopback only)
 * under mixed load — bookings racing for slots, sandbox payments (some delivered twice more, some
 * failed, some paid after the hold lapsed, some abandoned), cancellations and reschedules — while
 * five random instances are killed with SIGKILL (and restarted) and the database is stopped once.
 * Then it waits for the queues to settle and checks money.md's invariants, that no acknowledged
 * booking was lost and that no process exited on its own. Bounded to 10 minutes; prints its figures.
 *
 * Knobs: CHAOS_SECONDS (load, default 150), CHAOS_USERS (default 24), CHAOS_HOLD_MINUTES (default 1).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTokenSigner } from '../src/platform/auth.js';
import { systemClock } from '../src/platform/clock.js';
import { freePort, startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { type Cluster, type Instance, startCluster } from './cluster.js';
import { checkInvariants } from './invariants.js';
import { type LoadStats, runLoad } from './load.js';

const LOAD_SECONDS = Number(process.env.CHAOS_SECONDS ?? 150);
const USERS = Number(process.env.CHAOS_USERS ?? 24);
const HOLD_MINUTES = Number(process.env.CHAOS_HOLD_MINUTES ?? 1);
const DEADLINE_MS = 10 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main() {
  const t0 = Date.now();
  const hardStop = setTimeout(() => {
    console.error('chaos: over the 10-minute bound, giving up');
    process.exit(2);
  }, DEADLINE_MS);
  hardStop.unref();

  const root = mkdtempSync(path.join(os.tmpdir(), 'carebook-chaos-'));
  chmodSync(root, 0o755);
  const dataDir = path.join(root, 'postgres');
  const dbPort = await freePort();
  let db = await startEmbeddedPostgres({ dataDir, port: dbPort });
  const secrets = {
    JWT_SECRET: randomBytes(32).toString('hex'),
    OTP_SECRET: randomBytes(32).toString('hex'),
    SANDBOX_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    DATA_DIR: path.join(root, 'app'),
    LOG_LEVEL: 'warn',
    SEED_DEMO_DATA: 'true',
    RATE_LIMIT_PER_MINUTE: '10000000',
    PAYMENT_PROVIDER: 'sandbox',
    HOLD_MINUTES: String(HOLD_MINUTES),
    CANCELLATION_WINDOW_HOURS: '0',
    DOTENV_CONFIG_PATH: path.join(root, 'no.env'),
    DOTENV_CONFIG_QUIET: 'true',
    ...secrets,
  };
  let cluster: Cluster | undefined;
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => {});
  let failures: string[] = [];
  try {
    cluster = await startCluster(env);
    log('starting api-1 (migrates and seeds the demo data), then api-2 and the worker');
    await cluster.start(cluster.instances[0]!);
    await Promise.all(cluster.instances.slice(1).map((i) => cluster!.start(i)));
    log(`up in ${((Date.now() - t0) / 1000).toFixed(0)} s; load for ${LOAD_SECONDS} s with ${USERS} users`);

    const patients = await makePatients(pool, secrets.JWT_SECRET, USERS);
    const faults: string[] = [];
    const failuresDuringRun: string[] = [];
    const c = cluster;
    const faultPlan = (async () => {
      const kills = [0.1, 0.25, 0.4, 0.7, 0.85].map((f) => f * LOAD_SECONDS * 1000);
      const dbStopAt = 0.55 * LOAD_SECONDS * 1000;
      const start = Date.now();
      const restarts: Promise<void>[] = [];
      const events = [...kills.map((at) => ({ at, kind: 'kill' })), { at: dbStopAt, kind: 'db' }].sort(
        (a, b) => a.at - b.at,
      );
      for (const ev of events) {
        await sleep(Math.max(0, start + ev.at - Date.now()));
        if (ev.kind === 'kill') {
          // Any instance that is up, but never the last API one (the load balancer needs one).
          let up: Instance[] = [];
          for (;;) {
            const apisUp = c.instances.filter((i) => i.role === 'api' && !i.expectedDown).length;
            up = c.instances.filter((i) => !i.expectedDown && (i.role !== 'api' || apisUp > 1));
            if (up.length > 0) break;
            await sleep(500);
          }
          const victim = up[Math.floor(Math.random() * up.length)]!;
          await c.kill(victim);
          faults.push(`kill -9 ${victim.name} at ${((Date.now() - start) / 1000).toFixed(0)} s`);
          log(`killed ${victim.name} with SIGKILL; restarting it`);
          restarts.push(
            sleep(1000)
              .then(() => c.start(victim))
              .then(
                () => log(`${victim.name} is back`),
                (err) => void failuresDuringRun.push(`restart of ${victim.name} failed: ${err}`),
              ),
          );
        } else {
          const down = Date.now();
          await db.stop();
          log('database stopped');
          await sleep(8_000);
          db = await startEmbeddedPostgres({ dataDir, port: dbPort });
          faults.push(
            `database down ${((Date.now() - down) / 1000).toFixed(1)} s at ${((down - start) / 1000).toFixed(0)} s`,
          );
          log('database started again');
        }
      }
      await Promise.all(restarts);
    })();
    const stats: LoadStats = await runLoad({
      baseUrl: c.lbUrl,
      patients,
      seconds: LOAD_SECONDS,
      webhookSecret: secrets.SANDBOX_WEBHOOK_SECRET,
      pool,
    });
    await faultPlan.catch((err) => failuresDuringRun.push(`fault plan: ${err}`));
    log('load done; waiting for holds, deliveries and refunds to settle');
    const settled = await settle(pool, 240_000);
    const result = await checkInvariants(pool, stats);
    failures = [...result.failures, ...failuresDuringRun, ...c.unexpectedExits];
    if (!settled) failures.push('queues did not settle within 4 minutes');
    printFigures(stats, result.figures, faults, Date.now() - t0);
  } finally {
    await cluster?.stopAll();
    await pool.end().catch(() => {});
    await db.stop();
    if (failures.length && cluster)
      for (const inst of cluster.instances)
        console.error(`--- last log lines of ${inst.name}\n${inst.log.slice(-15).join('\n')}`);
    rmSync(root, { recursive: true, force: true });
  }
  if (failures.length) {
    console.error(`\nCHAOS FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('\nchaos: every invariant held');
  process.exit(0);
}

/** Patients with sessions and access tokens, as the OTP sign-in would leave them. */
async function makePatients(pool: pg.Pool, jwtSecret: string, n: number) {
  const { rows } = await pool.query<{ id: string; session: string }>(
    `with u as (
       insert into users (phone, full_name, role)
       select '+9198' || lpad(g::text, 8, '0'), 'Chaos Patient ' || g, 'patient' from generate_series(1, $1) g
       returning id)
     insert into auth_sessions (user_id, family_id, refresh_token_hash, created_at, expires_at)
     select id, gen_random_uuid(), encode(gen_random_bytes(32), 'hex'), now(), now() + interval '1 day' from u
     returning user_id as id, id as session`,
    [n],
  );
  const signer = createTokenSigner(jwtSecret, systemClock);
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      token: await signer.sign({ userId: r.id, role: 'patient', sessionId: r.session }),
    })),
  );
}

/** Until no hold is past its expiry, no money job is due or running, and no refund is pending. */
async function settle(pool: pg.Pool, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const { rows } = await pool
      .query<{ holds: number; jobs: number; refunds: number }>(
        `select (select count(*) from appointments where status = 'PENDING_PAYMENT' and hold_expires_at <= now())::int as holds,
                (select count(*) from pgboss.job where (name like 'payments.%' and name <> 'payments.reconcile' or name in ('messaging.deliver', 'booking.remind'))
                   and state in ('created', 'retry', 'active') and start_after <= now())::int as jobs,
                (select count(*) from refunds where status = 'PENDING')::int as refunds`,
      )
      .catch(() => ({ rows: [{ holds: -1, jobs: -1, refunds: -1 }] }));
    const r = rows[0]!;
    if (r.holds === 0 && r.jobs === 0 && r.refunds === 0) return true;
    await sleep(2_000);
  }
  return false;
}

function printFigures(
  stats: LoadStats,
  figures: Record<string, number | string>,
  faults: string[],
  ms: number,
) {
  const lines = [
    `duration: ${(ms / 1000).toFixed(0)} s (load ${LOAD_SECONDS} s, hold ${HOLD_MINUTES} min, ${USERS} users)`,
    `faults: ${faults.join('; ')}`,
    `requests: ${stats.requests} (${Object.entries(stats.statuses)
      .sort()
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ')})`,
    `initiates: ${stats.initiated} held, ${stats.conflicts} lost the race (409)`,
    `payments: ${stats.paidInHold} paid inside the hold, ${stats.paidLate} paid after it, ${stats.failed} failed, ${stats.abandoned} abandoned, ${stats.duplicates} duplicate webhook deliveries`,
    `bookings: ${stats.acknowledged.size} acknowledged as CONFIRMED, ${stats.cancelled} cancelled, ${stats.rescheduled} rescheduled`,
    ...Object.entries(figures).map(([k, v]) => `${k}: ${v}`),
  ];
  console.log(`\n${lines.join('\n')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
