import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type BookingScene, bookAndPay, bookingScene } from '../factories/booking.js';
import { createUser } from '../factories/identity.js';
import { type FuzzRequest, operationsOf, requestFor, type Spec } from './fuzz.js';

/**
 * Schema-driven fuzzing of every operation in /openapi.json, without a token and with each role's:
 * no reply is a 5xx, every 4xx is problem+json, and requests without a token change no row.
 * CI runs a short seeded sample; `npm run fuzz` runs FUZZ_RUNS (default 20,000) requests.
 * FUZZ_SEED replays a run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const CONCURRENCY = 8;

/** Tables whose rows an unauthenticated request must never change. */
const GUARDED_TABLES = [
  'users',
  'patient_profiles',
  'clinician_profiles',
  'appointments',
  'payments',
  'refunds',
  'availability_rules',
  'time_off',
  'centres',
  'patient_plans',
  'in_app_notifications',
];

let s: BookingScene;
let spec: Spec;
let tokens: Record<string, string | undefined>;
let ids: string[];
beforeAll(async () => {
  s = await bookingScene();
  const staff = await createUser(s.t, { role: 'staff' });
  const c = await bookAndPay(s.t, s.bob, s.doc.id, s.slot(5, '10:00'));
  spec = (await s.t.http.get('/openapi.json')).body;
  tokens = {
    none: undefined,
    patient: s.alice.token,
    clinician: s.doc.token,
    staff: staff.token,
    admin: s.admin.token,
  };
  ids = [s.doc.id, s.alice.id, s.bob.id, s.admin.id, staff.id, c.id, c.paymentId];
}, 120_000);
afterAll(async () => {
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  const byStatus = [...statuses.entries()].sort(([a], [b]) => a - b).map(([k, v]) => `${k}: ${v}`);
  console.log(`fuzz: ${total} requests, seed ${SEED}; by status ${byStatus.join(', ')}`);
  await s?.t.close();
});

async function checksum(): Promise<Record<string, string>> {
  const { rows } = await s.t.platform.pool.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = 'public' and table_name = any($1)`,
    [GUARDED_TABLES],
  );
  const out: Record<string, string> = {};
  for (const { table_name } of rows) {
    const r = await s.t.platform.pool.query(
      `select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from ${table_name} t`,
    );
    out[table_name] = r.rows[0].h;
  }
  return out;
}

/** Replies by status over the whole run, printed at the end (how varied the requests were). */
const statuses = new Map<number, number>();

type Outcome = { req: FuzzRequest; status: number; type: string; problem?: unknown };

async function send(r: Omit<FuzzRequest, 'headers'> & { contentType?: string }): Promise<Outcome> {
  const headers: Record<string, string> = {};
  const token = tokens[r.role];
  if (token) headers.authorization = `Bearer ${token}`;
  if (r.contentType) headers['content-type'] = r.contentType;
  const req = { ...r, headers };
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 15_000);
  try {
    const res = await fetch(s.t.url + r.path, {
      method: r.method,
      headers,
      body: r.body,
      redirect: 'manual',
      signal: ctl.signal,
    });
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (type === 'text/event-stream') {
      ctl.abort();
      return { req, status: res.status, type };
    }
    const text = await res.text();
    let problem: unknown;
    try {
      problem = JSON.parse(text);
    } catch {}
    return { req, status: res.status, type, problem };
  } catch (err) {
    return { req, status: 0, type: String((err as Error).message) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the sampled requests, CONCURRENCY at a time; returns the ones that broke a rule. */
async function run(requests: Array<Parameters<typeof send>[0]>): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const o = await send(requests[next++]!);
      statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
      const what = `${o.req.role} ${o.req.method} ${o.req.path.slice(0, 200)} [${o.req.headers['content-type'] ?? ''}] ${String(o.req.body ?? '').slice(0, 200)}`;
      if (o.status === 0 || o.status >= 500)
        failures.push(`${o.status} ${o.type} <- ${what} :: ${JSON.stringify(o.problem).slice(0, 300)}`);
      else if (o.status >= 400 && o.type !== 'application/problem+json')
        failures.push(`${o.status} not problem+json (${o.type}) <- ${what}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return failures;
}

const sample = (roles: string[], n: number, seed: number) => {
  const ops = operationsOf(spec);
  const arb = fc.constantFrom(...ops).chain((op) => requestFor(spec, op, ids, roles));
  return fc.sample(arb, { numRuns: n, seed });
};

test(`fuzz without a token: no 5xx, problem+json on 4xx, no row changed (seed ${SEED})`, async () => {
  const before = await checksum();
  const failures = await run(sample(['none'], Math.ceil(RUNS / 2), SEED));
  expect(failures.slice(0, 20), `${failures.length} failures`).toEqual([]);
  expect(await checksum()).toEqual(before);
}, 3_600_000);

test(`fuzz with each role's token: no 5xx, problem+json on 4xx (seed ${SEED + 1})`, async () => {
  const failures = await run(
    sample(['patient', 'clinician', 'staff', 'admin', 'none'], Math.floor(RUNS / 2), SEED + 1),
  );
  expect(failures.slice(0, 20), `${failures.length} failures`).toEqual([]);
}, 3_600_000);
