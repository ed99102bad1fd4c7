/** money.md's booking invariants and the chaos run's own promises, read from the database at the end. */
import type pg from 'pg';
import type { LoadStats } from './load.js';

const KEEPS_MONEY = ['CONFIRMED', 'COMPLETED', 'NO_SHOW'];

type Row = {
  id: string;
  status: string;
  captured_minor: number;
  refunded_minor: number;
  paid_at: Date | null;
  late_outcome: 'fulfilled' | 'refund' | null;
  appt: string;
  linked: boolean;
  hold_expires_at: Date;
  gateway: string | null;
  processed: number;
  pending: number;
  reserved: number;
  owed_back: number;
  late_refunds: number;
  webhook_credits: number;
};

const ROWS_SQL = `
  select p.id, p.status, p.captured_minor, p.refunded_minor, p.paid_at, p.late_outcome,
         a.status as appt, a.payment_id is not distinct from p.id as linked, a.hold_expires_at,
         co.status as gateway,
         coalesce(sum(r.amount_minor) filter (where r.status = 'PROCESSED'), 0)::int as processed,
         coalesce(sum(r.amount_minor) filter (where r.status = 'PENDING'), 0)::int as pending,
         coalesce(sum(r.amount_minor) filter (where r.status <> 'FAILED'), 0)::int as reserved,
         coalesce(sum(r.amount_minor) filter (where r.status <> 'FAILED' and r.source <> 'admin'), 0)::int as owed_back,
         count(r.id) filter (where r.idempotency_key = 'payment:' || p.id || ':late-refund')::int as late_refunds,
         (select count(*) from webhook_events e where e.payment_id = p.id
            and e.outcome in ('succeeded', 'late_fulfilled', 'late_refund'))::int as webhook_credits
    from payments p
    join appointments a on a.id = p.payable_id
    left join sandbox_checkouts co on co.id = p.order_id
    left join refunds r on r.payment_id = p.id
   where p.payable_kind = 'appointment'
   group by p.id, a.id, co.id`;

export async function checkInvariants(pool: pg.Pool, stats: LoadStats) {
  const failures: string[] = [];
  const fail = (what: string, detail?: unknown) =>
    failures.push(detail === undefined ? what : `${what}: ${JSON.stringify(detail).slice(0, 400)}`);
  const q = async <T extends pg.QueryResultRow>(sql: string, values: unknown[] = []) =>
    (await pool.query<T>(sql, values)).rows;

  // 8: no two held/confirmed appointments of one clinician overlap.
  const overlaps = await q(
    `select a.id, b.id as other from appointments a join appointments b
        on a.clinician_id = b.clinician_id and a.id < b.id
       and tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
     where a.status in ('PENDING_PAYMENT', 'CONFIRMED') and b.status in ('PENDING_PAYMENT', 'CONFIRMED')`,
  );
  if (overlaps.length) fail('double booking', overlaps);

  // 9: after a sweep, no hold outlives its expiry.
  const lapsed = await q(
    `select id from appointments where status = 'PENDING_PAYMENT' and hold_expires_at <= now()`,
  );
  if (lapsed.length) fail('holds outlived their expiry', lapsed);

  // 9-13: each paid payment has exactly one outcome, confirmed on time or by the late path.
  const rows = await q<Row>(ROWS_SQL);
  let paid = 0;
  let kept = 0;
  let refunded = 0;
  let lateRefunds = 0;
  let lateFulfilled = 0;
  for (const r of rows) {
    const keeps = r.linked && KEEPS_MONEY.includes(r.appt);
    if (r.webhook_credits > 1) fail('a payment credited more than once', r);
    if (r.pending > 0) fail('a refund still pending', r);
    if (r.captured_minor > 0 && r.gateway !== 'paid') fail('captured money the gateway did not take', r);
    if (r.captured_minor === 0) {
      if (r.reserved > 0) fail('refund of money never captured', r);
      if (keeps) fail('appointment kept without payment', r);
      continue;
    }
    paid++;
    if (keeps) {
      kept++;
      if (r.owed_back > 0) fail('confirmed and refunded', r);
    } else {
      refunded++;
      if (r.reserved !== r.captured_minor) fail('paid, not kept, and not refunded exactly once', r);
    }
    if (r.linked && r.appt === 'CONFIRMED') {
      const onTime = r.paid_at !== null && r.paid_at < r.hold_expires_at && r.late_outcome === null;
      if (!onTime && r.late_outcome !== 'fulfilled') fail('confirmed by money that came late', r);
    }
    if (r.late_outcome === 'refund') {
      lateRefunds++;
      if (keeps || r.late_refunds !== 1) fail('late money without exactly one late refund', r);
    }
    if (r.late_outcome === 'fulfilled') lateFulfilled++;
  }
  // Money that arrived inside its hold must never be refunded as late.
  const refundedAsLate = rows.filter((r) => r.late_outcome === 'refund' && stats.paidInHoldIds.has(r.id));
  if (refundedAsLate.length) fail(`${refundedAsLate.length} paid inside the hold were refunded as late`);

  // 11: each (provider, event id) applied at most once.
  const twice = await q(
    `select provider, event_id, count(*)::int as n from webhook_events group by 1, 2 having count(*) > 1`,
  );
  if (twice.length) fail('webhook events stored twice', twice);

  // Notifications: one row per logical message and channel, each at a final state.
  const dupNotes = await q(
    `select idempotency_key, channel, count(*)::int from notifications group by 1, 2 having count(*) > 1`,
  );
  if (dupNotes.length) fail('notifications written twice', dupNotes);
  const unsent = await q(
    `select id, status from notifications where status in ('queued', 'sending')
        and coalesce(next_attempt_at, created_at) <= now() - interval '30 seconds'`,
  );
  if (unsent.length) fail('notifications never delivered', unsent.slice(0, 5));

  // No acknowledged booking lost.
  const ids = [...stats.acknowledged.keys()];
  const seen = new Map(
    (
      await q<{ id: string; status: string }>('select id, status from appointments where id = any($1)', [ids])
    ).map((r) => [r.id, r.status]),
  );
  const lost = ids.filter((id) => seen.get(id) !== stats.acknowledged.get(id));
  if (lost.length)
    fail(
      'acknowledged bookings lost or changed',
      lost.slice(0, 5).map((id) => ({ id, expected: stats.acknowledged.get(id), now: seen.get(id) })),
    );

  const [lag] = await q<{ n: number; avg: number; p95: number; max: number }>(
    `select count(*)::int as n,
            coalesce(avg(extract(epoch from completed_on - created_on)), 0)::float as avg,
            coalesce(percentile_cont(0.95) within group (order by extract(epoch from completed_on - created_on)), 0)::float as p95,
            coalesce(max(extract(epoch from completed_on - created_on)), 0)::float as max
       from pgboss.job where name = 'payments.sandbox-deliver' and state = 'completed'`,
  );
  const [notes] = await q<{ sent: number; failed: number }>(
    `select count(*) filter (where status = 'sent')::int as sent, count(*) filter (where status = 'failed')::int as failed from notifications`,
  );
  const figures = {
    'paid payments': `${paid} (${kept} kept their booking, ${refunded} refunded: ${lateRefunds} as late money; ${lateFulfilled} late but honoured)`,
    'paid inside the hold but refunded as late': refundedAsLate.length,
    'webhook delivery (enqueue to done)': `${lag!.n} deliveries, mean ${lag!.avg.toFixed(2)} s, p95 ${lag!.p95.toFixed(2)} s, max ${lag!.max.toFixed(1)} s`,
    notifications: `${notes!.sent} sent, ${notes!.failed} failed`,
    '503 answers': stats.statuses['503'] ?? 0,
    '5xx other than 503': Object.entries(stats.statuses)
      .filter(([s]) => s.startsWith('5') && s !== '503')
      .reduce((n, [, v]) => n + v, 0),
  };
  return { failures, figures };
}
