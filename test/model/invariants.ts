import { expect } from 'vitest';
import type { PaymentsService } from '../../src/modules/payments/index.js';
import type { TestApp } from '../support/app.js';
import { failedJobAttempts, faultsFired } from './faults.js';

/** Appointments that keep the money paid for them (booking.md's statuses). */
const KEEPS_MONEY = ['CONFIRMED', 'COMPLETED', 'NO_SHOW'];

/**
 * money.md 12 written out independently of payments.rules.ts: the states each status may reach,
 * over any number of moves (a step can take a payment from CREATED to REFUNDED).
 */
const REACHABLE: Record<string, string[]> = {
  CREATED: ['SUCCEEDED', 'FAILED', 'EXPIRED', 'PARTIALLY_REFUNDED', 'REFUNDED'],
  FAILED: ['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'],
  EXPIRED: ['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'],
  SUCCEEDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  PARTIALLY_REFUNDED: ['REFUNDED'],
  REFUNDED: [],
};

/** One appointment payment with its appointment, its refunds and the sandbox gateway's own record. */
type Row = {
  id: string;
  status: string;
  amount_minor: number;
  captured_minor: number;
  refunded_minor: number;
  refund_pending_minor: number;
  paid_at: Date | null;
  expires_at: Date;
  late_outcome: 'fulfilled' | 'refund' | null;
  appt: string;
  linked: boolean;
  hold_expires_at: Date;
  price_minor: number;
  gateway: string | null;
  gateway_amount: number | null;
  gateway_refunded: number | null;
  processed: number;
  pending: number;
  /** Refunds not refused, of every source. */
  reserved: number;
  /** Refunds not refused that are not an admin's goodwill: cancellation, late money, duplicates. */
  owed_back: number;
  late_refunds: number;
  webhook_credits: number;
};

const ROWS_SQL = `
  select p.id, p.status, p.amount_minor, p.captured_minor, p.refunded_minor, p.refund_pending_minor,
         p.paid_at, p.expires_at, p.late_outcome,
         a.status as appt, a.payment_id is not distinct from p.id as linked, a.hold_expires_at, a.price_minor,
         co.status as gateway, co.amount_minor as gateway_amount, co.refunded_minor as gateway_refunded,
         coalesce(sum(r.amount_minor) filter (where r.status = 'PROCESSED'), 0)::int as processed,
         coalesce(sum(r.amount_minor) filter (where r.status = 'PENDING'), 0)::int as pending,
         coalesce(sum(r.amount_minor) filter (where r.status <> 'FAILED'), 0)::int as reserved,
         coalesce(sum(r.amount_minor) filter (where r.status <> 'FAILED' and r.source <> 'admin'), 0)::int
           as owed_back,
         count(r.id) filter (where r.idempotency_key = 'payment:' || p.id || ':late-refund')::int as late_refunds,
         (select count(*) from webhook_events e where e.payment_id = p.id
            and e.outcome in ('succeeded', 'late_fulfilled', 'late_refund'))::int as webhook_credits
    from payments p
    join appointments a on a.id = p.payable_id
    left join sandbox_checkouts co on co.id = p.order_id
    left join refunds r on r.payment_id = p.id
   where p.payable_kind = 'appointment' and p.id = any($1)
   group by p.id, a.id, co.id`;

export type StepChecks = {
  now: Date;
  /** This run's payments (earlier runs' are settled for good: their holds lapsed, their jobs ran). */
  paymentIds: string[];
  /** The step swept lapsed holds: none may be left (money.md 9). */
  swept: boolean;
  /** The step ran the reconciler: no payment may still wait past its expiry. */
  reconciled: boolean;
  /** Webhook deliveries the model itself sent that our endpoint answered with a 5xx. */
  directFailures: number;
};

/**
 * money.md's booking invariants, read from the database after every step. Kept across runs: the
 * status each payment had last time it was seen.
 */
export function moneyInvariants(t: TestApp) {
  const lastSeen = new Map<string, { status: string; refunded: number; captured: number }>();
  const pool = t.platform.pool;

  async function rows(ids: string[]): Promise<Row[]> {
    return (await pool.query<Row>(ROWS_SQL, [ids])).rows;
  }

  /** 12: statuses and money columns only move forward. */
  function movedForward(r: Row) {
    const before = lastSeen.get(r.id);
    const why = JSON.stringify({ before, now: r });
    if (before && before.status !== r.status) expect(REACHABLE[before.status], why).toContain(r.status);
    if (before) {
      expect(r.refunded_minor, why).toBeGreaterThanOrEqual(before.refunded);
      if (before.captured > 0) expect(r.captured_minor, why).toBe(before.captured);
    }
    lastSeen.set(r.id, { status: r.status, refunded: r.refunded_minor, captured: r.captured_minor });
  }

  /** 11, 13 and the gateway's side: our record never claims money the gateway did not move. */
  function ledgerAgrees(r: Row) {
    const why = JSON.stringify(r);
    expect([0, r.amount_minor], why).toContain(r.captured_minor);
    expect(r.webhook_credits, why).toBeLessThanOrEqual(1);
    expect(r.refunded_minor, why).toBe(r.processed);
    expect(r.refund_pending_minor, why).toBe(r.pending);
    expect(r.reserved, why).toBeLessThanOrEqual(r.captured_minor);
    if (r.captured_minor > 0) expect(r.gateway, why).toBe('paid');
    if (r.gateway_refunded !== null) {
      expect(r.gateway_refunded, why).toBeLessThanOrEqual(r.gateway_amount!);
      expect(r.gateway_refunded, why).toBeGreaterThanOrEqual(r.refunded_minor);
      expect(r.gateway_refunded, why).toBeLessThanOrEqual(r.refunded_minor + r.refund_pending_minor);
    }
  }

  /** 9, 10: captured money has exactly one outcome, and confirms only on time or by the late path. */
  function oneOutcome(r: Row) {
    const why = JSON.stringify(r);
    const kept = r.linked && KEEPS_MONEY.includes(r.appt);
    if (r.captured_minor === 0) {
      expect(r.reserved, why).toBe(0);
      if (r.linked) expect(KEEPS_MONEY, why).not.toContain(r.appt);
    } else if (kept) {
      expect(r.owed_back, why).toBe(0);
    } else {
      expect(r.reserved, why).toBe(r.captured_minor);
    }
    if (r.linked && r.appt === 'CONFIRMED') {
      const onTime = r.paid_at !== null && r.paid_at < r.hold_expires_at && r.late_outcome === null;
      expect(onTime || r.late_outcome === 'fulfilled', why).toBe(true);
    }
    if (r.late_outcome === 'refund') {
      expect(kept, why).toBe(false);
      expect(r.late_refunds, why).toBe(1);
    }
    if (r.late_outcome === 'fulfilled') {
      expect(r.late_refunds, why).toBe(0);
      expect([...KEEPS_MONEY, 'CANCELLED'], why).toContain(r.appt);
    }
  }

  async function afterStep(c: StepChecks) {
    // 8: the exclusion constraint's promise, checked from outside.
    const { rows: overlaps } = await pool.query(
      `select a.id, b.id as other from appointments a join appointments b
          on a.clinician_id = b.clinician_id and a.id < b.id
         and tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
       where a.status in ('PENDING_PAYMENT', 'CONFIRMED') and b.status in ('PENDING_PAYMENT', 'CONFIRMED')`,
    );
    expect(overlaps).toEqual([]);
    if (c.swept) {
      const { rows: lapsed } = await pool.query(
        `select id from appointments where status = 'PENDING_PAYMENT' and hold_expires_at <= $1`,
        [c.now],
      );
      expect(lapsed, 'a hold outlived its expiry after a sweep').toEqual([]);
    }
    for (const r of await rows(c.paymentIds)) {
      movedForward(r);
      ledgerAgrees(r);
      oneOutcome(r);
      // A hold ending at this very instant has lapsed for the rules and for the reconciler alike.
      if (c.reconciled && r.expires_at <= c.now)
        expect(r.status, `reconciler left it waiting: ${JSON.stringify(r)}`).not.toBe('CREATED');
    }
    // Every failed job attempt or 5xx was one the model caused; nothing failed on its own.
    expect((await failedJobAttempts(pool)) + c.directFailures).toBe(await faultsFired(pool));
  }

  /**
   * Once everything queued has run: no refund is left pending, the gateway refunded exactly what we
   * recorded, nothing is listed by reconciliation, and money is conserved — what the gateway took
   * minus what it gave back is what the appointments that kept their slot paid, less the admins'
   * goodwill refunds (which the model counts itself).
   */
  async function afterRun(
    paymentIds: string[],
    adminRefunded: Map<string, number>,
    payments: PaymentsService,
  ) {
    const all = await rows(paymentIds);
    expect(all.length).toBe(paymentIds.length);
    let gatewayKept = 0;
    let ledgerKept = 0;
    let appointmentsKept = 0;
    for (const r of all) {
      const why = JSON.stringify(r);
      expect(r.pending, why).toBe(0);
      expect(r.gateway_refunded, why).toBe(r.refunded_minor);
      gatewayKept += (r.gateway === 'paid' ? r.gateway_amount! : 0) - r.gateway_refunded!;
      ledgerKept += r.captured_minor - r.refunded_minor;
      if (r.linked && KEEPS_MONEY.includes(r.appt))
        appointmentsKept += r.price_minor - (adminRefunded.get(r.id) ?? 0);
    }
    expect({ gatewayKept, ledgerKept }).toEqual({
      gatewayKept: appointmentsKept,
      ledgerKept: appointmentsKept,
    });
    const report = await payments.reconciliationReport();
    expect(report.mismatches.filter((m) => paymentIds.includes(m.paymentId))).toEqual([]);
  }

  return { afterStep, afterRun };
}
