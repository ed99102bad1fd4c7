import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookableClinician, initiate, localSlot } from '../../../test/factories/booking.js';
import { createUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

/** Every statement any pg client sends while `fn` runs: the SQL round trips it costs. */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  const seen: string[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string })?.text;
    if (text) seen.push(text.replace(/\s+/g, ' ').slice(0, 160));
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return seen;
}

/**
 * Issue 12: a paid initiate took 24 SQL round trips (target 10). Booking's and payments' own part
 * is 4 now (it was 14, then 7): BEGIN sent with both advisory locks, the hold's insert, the payment
 * with its sandbox checkout and expiry job in one statement, COMMIT — one transaction, one commit,
 * nothing after it. The rest are the auth check (1) and one fresh read before it: catalog's
 * statement carrying identity's clinician, the listing, the patient's plan and scheduling's rules
 * and time off (see docs/performance.md). A count, not a timing: it must fail if the count rises.
 */
describe('round trips of a paid initiate', () => {
  let t: TestApp;
  let doc: Awaited<ReturnType<typeof bookableClinician>>;
  beforeAll(async () => {
    t = await startTestApp();
    doc = await bookableClinician(t, { feeMinor: 50_000 });
  });
  afterAll(() => t?.close());

  test('the hold, its payment, expiry job and sandbox checkout take 4 statements; 6 in all', async () => {
    const warm = await createUser(t, { role: 'patient' });
    const first = await initiate(t, warm, {
      clinicianId: doc.id,
      startAt: localSlot(t, doc.timeZone, 2, '09:00'),
    });
    expect(first.status).toBe(201);
    const patient = await createUser(t, { role: 'patient' });
    const startAt = localSlot(t, doc.timeZone, 2, '10:00');
    let status = 0;
    const sql = await statementsOf(async () => {
      status = (await initiate(t, patient, { clinicianId: doc.id, startAt })).status;
    });
    expect(status).toBe(201);
    const listing = sql.map((s, i) => `${i + 1}. ${s}`).join('\n');
    const own = sql.slice(sql.findIndex((s) => s.startsWith('begin')));
    expect(own.length, listing).toBe(4);
    expect(own.at(-1), listing).toBe('commit');
    expect(sql.length, listing).toBeLessThanOrEqual(6);
    // Nothing was dropped to get there: the payment has its checkout and its expiry job.
    const { rows } = await t.platform.pool.query(
      `select p.id, p.order_id, c.status as checkout, c.amount_minor, c.expires_at = p.expires_at as same_expiry,
              (select count(*)::int from pgboss.job j where j.name = 'payments.expire' and j.data->>'paymentId' = p.id::text
                 and j.start_after = p.expires_at) as jobs
         from appointments a join payments p on p.id = a.payment_id left join sandbox_checkouts c on c.id = p.order_id
        where a.patient_id = $1`,
      [patient.id],
    );
    expect(rows).toEqual([
      expect.objectContaining({ checkout: 'open', amount_minor: 50_000, same_expiry: true, jobs: 1 }),
    ]);
  });
});
