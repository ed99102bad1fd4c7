/**
 * `npm run bench:billing`: one billing tick over N active chat sessions (default 10,000), each with
 * one block due, against N bare single-row inserts at the same concurrency on the same database.
 * Target: the tick in at most 2 s here. Prints the figures (copied into docs/notes/billing.md).
 *
 * The sessions, subscriptions and credit grants are set up in bulk SQL (bench set-up only). A first,
 * untimed tick at the sessions' activation charges block 1 of each (as activation does: the doctors'
 * wallets and other accounts a charge needs then exist); the measured tick, ten minutes later, is the
 * real `sessions.settleDue` charging block 2 (SKIP LOCKED claims, batches of sessions per transaction,
 * ledger transfers applied by the database's trigger with its CHECK limits).
 */
import os from 'node:os';
import type { SessionsService } from '../src/modules/sessions/index.js';
import { ManualClock } from '../src/platform/clock.js';
import { startBenchCarebook } from './carebook.js';
import { BENCH_RESULT } from './extra.js';

const N = Number(process.env.BENCH_SESSIONS ?? 10_000);
const WORKERS = Number(process.env.BENCH_TICK_WORKERS ?? 8);
const DOCTORS = Number(process.env.BENCH_DOCTORS ?? 200);
const BATCH = process.env.BENCH_TICK_BATCH ? Number(process.env.BENCH_TICK_BATCH) : undefined;

async function main() {
  const clock = new ManualClock('2030-01-07T06:00:00Z');
  const bench = await startBenchCarebook({
    prefix: 'carebook-bench-billing-',
    env: { DATABASE_POOL_MAX: String(Math.max(WORKERS + 2, 10)) },
    clock,
    listen: false,
  });
  try {
    const { pool } = bench.carebook.platform;
    const sessions = bench.service<SessionsService>('sessions');
    // Activated 10 minutes ago: the warm-up tick at activation charges block 1 (as activation does,
    // creating the doctors' wallets and whatever else a charge needs); the measured tick charges block 2.
    const now = clock.now();
    const activated = new Date(now.getTime() - 10 * 60_000);
    console.log(`setting up ${N} active chat sessions...`);
    await pool.query(
      `insert into users (phone, full_name, role) select '+9198' || lpad(g::text, 8, '0'), 'Bench ' || g,
         case when g <= $2::int then 'clinician' else 'patient' end from generate_series(1, $1::int + $2::int) g`,
      [N, DOCTORS],
    );
    await pool.query(
      `insert into subscriptions (patient_id, plan_code, status, price_minor, currency, period_days, text_credits,
         call_credits, payout_per_block_minor, idempotency_key, period_start, period_end, created_at, updated_at)
       select id, 'standard', 'ACTIVE', 49900, 'INR', 30, 10, 0, 1000, 'bench:' || id, $1::timestamptz - interval '1 day',
         $1::timestamptz + interval '29 days', $1, $1 from users where role = 'patient'`,
      [now],
    );
    await pool.query(
      `insert into ledger_accounts (kind, owner_id, ref, currency, no_overdraft, created_at)
       select 'patient_credits', patient_id, id::text, 'CREDIT_TEXT', true, $1::timestamptz from subscriptions
       union all select 'deferred_revenue', null, id::text, 'INR', true, $1::timestamptz from subscriptions
       union all select 'credit_issuance', null, 'issued', 'CREDIT_TEXT', false, $1::timestamptz
       union all select 'gateway_clearing', null, '', 'INR', false, $1::timestamptz`,
      [now],
    );
    await pool.query(
      `insert into ledger_transfers (debit_account_id, credit_account_id, amount, currency, flag, idempotency_key, content_hash, cause, created_at)
       select i.id, c.id, 10, 'CREDIT_TEXT', 'posted', 'bench:grant:' || c.id, 'bench', 'credits_granted', $1::timestamptz
       from ledger_accounts c, ledger_accounts i where c.kind = 'patient_credits' and i.kind = 'credit_issuance'
       union all
       select g.id, d.id, 49900, 'INR', 'posted', 'bench:paid:' || d.id, 'bench', 'subscription_payment', $1::timestamptz
       from ledger_accounts d, ledger_accounts g where d.kind = 'deferred_revenue' and g.kind = 'gateway_clearing'`,
      [now],
    );
    await pool.query(
      `insert into sessions (kind, status, patient_id, clinician_id, funding, block_minutes, activated_at, blocks_charged,
         next_block_at, created_at, updated_at)
       select 'text', 'ACTIVE', u.id, d.id, 'credits', 10, $1::timestamptz - interval '10 minutes', 0,
         $1::timestamptz - interval '10 minutes', $1, $1
       from (select id, row_number() over (order by id) % $2::int as k from users where role = 'patient') u
       join (select id, row_number() over (order by id) % $2::int as k from users where role = 'clinician') d using (k)`,
      [now, DOCTORS],
    );
    clock.set(activated);
    const tw = performance.now();
    const warm = await sessions.settleDue({ workers: WORKERS, batch: BATCH });
    const warmMs = performance.now() - tw;
    if (warm !== N) throw new Error(`warm-up tick settled ${warm}, expected ${N}`);
    clock.set(now);
    await pool.query('analyze');
    await pool.query(
      'create table bench_rows (id uuid primary key default gen_random_uuid(), n int not null, at timestamptz not null)',
    );

    const cpu0 = { db: bench.databaseCpuMs(), node: process.cpuUsage(), load: os.loadavg()[0]! };
    const t0 = performance.now();
    const settled = await sessions.settleDue({ workers: WORKERS, batch: BATCH });
    const tickMs = performance.now() - t0;
    const tickCpu = cpuSince(cpu0, bench.databaseCpuMs());
    const charged =
      (await pool.query(`select count(*)::int as n from ledger_transfers where cause = 'text_block'`)).rows[0]
        .n - N;
    const sc = (await pool.query(`select status, count(*)::int from sessions group by 1`)).rows;
    if (settled !== N || charged !== N) console.error(sc);
    if (settled !== N || charged !== N)
      throw new Error(`tick settled ${settled}, charged ${charged}, expected ${N}`);

    let next = 0;
    const cpu1 = { db: bench.databaseCpuMs(), node: process.cpuUsage(), load: os.loadavg()[0]! };
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        for (let n = next++; n < N; n = next++)
          await pool.query('insert into bench_rows (n, at) values ($1, $2)', [n, now]);
      }),
    );
    const insertMs = performance.now() - t1;
    const insertCpu = cpuSince(cpu1, bench.databaseCpuMs());
    console.log(
      [
        `billing tick over ${N} active sessions (${WORKERS} workers, batches of ${BATCH ?? 'default'}): ${(tickMs / 1000).toFixed(2)} s (target <= 2 s), ${Math.round((N / tickMs) * 1000)} sessions/s; ${tickCpu}`,
        `(untimed set-up: the block-1 tick at activation, creating the accounts, took ${(warmMs / 1000).toFixed(2)} s)`,
        `${N} bare single-row inserts (${WORKERS} workers): ${(insertMs / 1000).toFixed(2)} s; ${insertCpu}`,
        `ratio tick / inserts: ${(tickMs / insertMs).toFixed(2)}x`,
        `machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      ].join('\n'),
    );
    // For `npm run bench`, which runs this script and reads its figures from this line.
    console.log(`${BENCH_RESULT} ${JSON.stringify({ sessions: N, tickMs, insertMs })}`);
  } finally {
    await bench.stop();
  }
}

/** CPU used since `from` by the database and by this process, with the load average then. */
function cpuSince(from: { db: number | null; node: NodeJS.CpuUsage; load: number }, dbNow: number | null) {
  const node = process.cpuUsage(from.node);
  const db = from.db === null || dbNow === null ? 'n/a' : `${((dbNow - from.db) / 1000).toFixed(2)} s`;
  return `CPU: database ${db}, node ${((node.user + node.system) / 1e6).toFixed(2)} s (load ${from.load.toFixed(1)})`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
