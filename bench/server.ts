/**
 * The benchmark's server process (forked by bench/run.ts): Carebook on a fresh embedded PostgreSQL,
 * plus a bare Fastify route that returns a reply of the same size as a 30-day slot search. It
 * seeds the data the load needs and records the exact SQL of one paid `initiate`, for the raw-`pg`
 * comparison. Talks to the parent over IPC.
 */
import path from 'node:path';
import Fastify from 'fastify';
import { DateTime } from 'luxon';
import pg from 'pg';
import type { CatalogService } from '../src/modules/catalog/index.js';
import type { SchedulingService } from '../src/modules/scheduling/index.js';
import { createTokenSigner } from '../src/platform/auth.js';
import { startBenchCarebook } from './carebook.js';

const ZONE = 'Asia/Kolkata';
const CLINICIANS = Number(process.env.BENCH_CLINICIANS ?? 100);
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 6000);

export type Recorded = { text: string; values: unknown[]; rowId: string | null };
export type Ready = {
  appUrl: string;
  bareUrl: string;
  dbUrl: string;
  /** The embedded cluster's directory (its postmaster.pid names the server whose CPU is counted). */
  pgDataDir: string;
  poolMax: number;
  slotPath: string;
  slotBytes: number;
  clinicians: string[];
  patients: Array<{ id: string; token: string }>;
  /** Slot starts (ISO) every clinician offers: 30 days x 16 half-hour slots from tomorrow. */
  slotStarts: string[];
  recorded: {
    statements: Recorded[];
    patientId: string;
    clinicianId: string;
    startAt: string;
    endAt: string;
  };
};

const send = (msg: unknown) => process.send!(msg);

async function seedUsers(pool: pg.Pool, role: 'clinician' | 'patient', n: number, offset: number) {
  const { rows } = await pool.query<{ id: string }>(
    `insert into users (phone, full_name, role)
     select '+9199' || lpad((g + $3)::text, 8, '0'), $1 || ' ' || g, $2 from generate_series(1, $4) g
     returning id`,
    [role === 'clinician' ? 'Dr. Bench' : 'Bench Patient', role, offset, n],
  );
  return rows.map((r) => r.id);
}

function slotStarts(now: Date): string[] {
  const out: string[] = [];
  const today = DateTime.fromJSDate(now, { zone: ZONE }).startOf('day');
  for (let d = 1; d <= 30; d++)
    for (let k = 0; k < 16; k++)
      out.push(
        today
          .plus({ days: d })
          .set({ hour: 9 })
          .plus({ minutes: 30 * k })
          .toUTC()
          .toISO()!,
      );
  return out;
}

/** Records every statement any pg client runs while `fn` runs (text, values, and a returned `id`). */
async function recordSql(fn: () => Promise<void>): Promise<Recorded[]> {
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  const recorded: Recorded[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    const cfg =
      typeof first === 'string'
        ? { text: first, values: Array.isArray(second) ? second : [] }
        : {
            text: (first as { text?: string }).text,
            values: Array.isArray(second) ? second : (first as { values?: unknown[] }).values,
          };
    if (!cfg?.text) return original.apply(this, args);
    const entry: Recorded = { text: cfg.text, values: cfg.values ?? [], rowId: null };
    recorded.push(entry);
    const seeRows = (r: { rows?: unknown[]; fields?: Array<{ name: string }> } | undefined) => {
      const row = r?.rows?.[0];
      if (Array.isArray(row)) {
        const i = r?.fields?.findIndex((f) => f.name === 'id') ?? -1;
        if (i >= 0) entry.rowId = String(row[i]);
      } else if (row && typeof row === 'object' && 'id' in row)
        entry.rowId = String((row as { id: unknown }).id);
    };
    const cb = args[args.length - 1];
    if (typeof cb === 'function') {
      // pg.Pool#query passes a callback: wrap it to see the result.
      args[args.length - 1] = (err: unknown, res: never) => {
        if (!err) seeRows(res);
        (cb as (e: unknown, r: unknown) => void)(err, res);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args) as Promise<never>;
    result?.then?.(seeRows, () => {});
    return result;
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return recorded;
}

async function main() {
  // The parent removes the data directory once told `stopped`.
  const { carebook, config, dataDir } = await startBenchCarebook({
    prefix: 'carebook-bench-',
    env: { RATE_LIMIT_PER_MINUTE: '100000000', PAYMENT_PROVIDER: 'sandbox' },
    keep: true,
  });
  const { pool, clock } = carebook.platform;
  const service = <S>(name: string) =>
    (carebook.modules.find((m) => m.name === name) as unknown as { service: S }).service;
  const catalog = service<CatalogService>('catalog');
  const scheduling = service<SchedulingService>('scheduling');

  const clinicians = await seedUsers(pool, 'clinician', CLINICIANS, 0);
  await pool.query(
    `insert into clinician_profiles (user_id, specialization, time_zone) select unnest($1::uuid[]), 'General Physician', $2`,
    [clinicians, ZONE],
  );
  for (const id of clinicians) {
    await catalog.setListing(id, {
      modes: ['online'],
      fee: { amount: 50_000, currency: config.currency },
      centreIds: [],
      isListed: true,
    });
    await scheduling.replaceRules(
      { userId: id, role: 'clinician', sessionId: 'bench' },
      id,
      [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({
        weekday,
        startTime: '09:00',
        endTime: '17:00',
        mode: 'online' as const,
        centreId: null,
        slotMinutes: 30,
      })),
    );
  }
  const patientIds = await seedUsers(pool, 'patient', PATIENTS + 1, 100_000);
  const now = clock.now();
  const { rows: sessions } = await pool.query<{ id: string; user_id: string }>(
    `insert into auth_sessions (user_id, family_id, refresh_token_hash, created_at, expires_at)
     select u, gen_random_uuid(), encode(gen_random_bytes(32), 'hex'), $2, $2::timestamptz + interval '7 days'
       from unnest($1::uuid[]) u returning id, user_id`,
    [patientIds, now],
  );
  const signer = createTokenSigner(config.auth.jwtSecret, clock);
  const patients = await Promise.all(
    sessions.map(async (s) => ({
      id: s.user_id,
      token: await signer.sign({ userId: s.user_id, role: 'patient', sessionId: s.id }),
    })),
  );

  const appUrl = carebook.url!;
  const starts = slotStarts(now);
  const from = starts[0]!.slice(0, 10);
  const to = DateTime.fromISO(from).plus({ days: 29 }).toISODate()!;
  const slotPath = `/api/clinicians/${clinicians[0]}/slots?from=${from}&to=${to}`;
  const sample = await fetch(appUrl + slotPath).then((r) => r.text());

  const bare = Fastify({ logger: false });
  const body = JSON.stringify({ pad: 'x'.repeat(Math.max(0, sample.length - 10)) });
  bare.get('/bare', async (_req, reply) => reply.type('application/json').send(body));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;

  // One real paid initiate (a warm-up patient and the last clinician's last slot), with its SQL recorded.
  const warm = patients.pop()!;
  const warmClinician = clinicians[clinicians.length - 1]!;
  const warmStart = starts[starts.length - 1]!;
  const initiate = async (p: { token: string }, startAt: string) => {
    const res = await fetch(`${appUrl}/api/booking/initiate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${p.token}` },
      body: JSON.stringify({ clinicianId: warmClinician, startAt, mode: 'online' }),
    });
    const reply = { status: res.status, body: await res.text() };
    if (reply.status !== 201) throw new Error(`warm-up initiate failed: ${reply.status} ${reply.body}`);
  };
  // A first, unrecorded initiate: what happens once per process (the occupancy LISTEN) is not per request.
  await initiate(patients.pop()!, starts[starts.length - 2]!);
  const statements = await recordSql(() => initiate(warm, warmStart));
  const endAt = new Date(Date.parse(warmStart) + 30 * 60_000).toISOString();

  const ready: Ready = {
    appUrl,
    bareUrl,
    dbUrl: (pool as unknown as { options: { connectionString: string } }).options.connectionString,
    pgDataDir: path.join(dataDir, 'postgres'),
    poolMax: config.db.poolMax,
    slotPath,
    slotBytes: sample.length,
    clinicians,
    patients,
    slotStarts: starts,
    recorded: { statements, patientId: warm.id, clinicianId: warmClinician, startAt: warmStart, endAt },
  };
  send({ type: 'ready', ready });
  process.on('message', async (msg: { type: string }) => {
    // Where the resident memory sits (V8 heap, buffers outside it), for the report.
    if (msg.type === 'memory') send({ type: 'memory', usage: process.memoryUsage() });
    if (msg.type !== 'stop') return;
    await bare.close();
    await carebook.stop();
    send({ type: 'stopped', dataDir });
    process.exit(0);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
