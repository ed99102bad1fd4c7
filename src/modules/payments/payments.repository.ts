import {
  and,
  asc,
  desc,
  eq,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  type SQL,
  sql,
  type WithSubquery,
} from 'drizzle-orm';
import { createStatementCache, rowShape } from '../../platform/db/prebuilt.js';
import type { Db } from '../../platform/db/uow.js';
import type { Provider } from './gateways/types.js';
import type { PaymentStatus, PaymentTransition, RefundStatus } from './payments.rules.js';
import { paymentCustomers, payments, refunds, sandboxCheckouts, webhookEvents } from './payments.table.js';

export type PaymentRow = typeof payments.$inferSelect;
export type NewPayment = typeof payments.$inferInsert;
/** A new payment's columns: status and money columns keep their defaults. */
type NewPaymentValues = Omit<
  NewPayment,
  'status' | 'kind' | 'paidAt' | 'capturedMinor' | 'failedAt' | 'refundedMinor'
>;
export type RefundRow = typeof refunds.$inferSelect;
export type NewRefund = typeof refunds.$inferInsert;

/** A statement written for positional parameters ($1, $2, ...) as Drizzle SQL with those values. */
function withParams(text: string, values: unknown[]): SQL {
  const parts: SQL[] = [];
  let at = 0;
  for (const m of text.matchAll(/\$(\d+)/g)) {
    parts.push(sql.raw(text.slice(at, m.index)), sql`${values[Number(m[1]) - 1] ?? null}`);
    at = m.index + m[0].length;
  }
  parts.push(sql.raw(text.slice(at)));
  return sql.join(parts);
}

const statements = createStatementCache();

/** insertPayment's statement with placeholders: the payment's (see rowShape), `job1`... for the job's values. */
function insertPaymentStatement(
  db: Db,
  row: Record<string, unknown>,
  also: { sandboxCheckout?: boolean; job?: { text: string }; jobParams: number },
) {
  const values = row as unknown as NewPayment;
  const p = db.$with('p').as(db.insert(payments).values(values).onConflictDoNothing().returning());
  const ctes: WithSubquery[] = [p];
  if (also.sandboxCheckout)
    ctes.push(
      db.$with('checkout', { id: sql<string>`id` }).as(
        sql`insert into ${sandboxCheckouts} (id, amount_minor, currency, description, created_at, expires_at)
            select ${p.orderId}, ${p.amountMinor}, ${p.currency}, ${p.description}, ${p.createdAt}, ${p.expiresAt} from ${p}
            returning id`,
      ),
    );
  if (also.job) {
    const params = Array.from({ length: also.jobParams }, (_, i) => sql.placeholder(`job${i + 1}`));
    ctes.push(db.$with('job', { id: sql<string>`id` }).as(withParams(also.job.text, params)));
  }
  return db
    .with(...ctes)
    .select()
    .from(p);
}

/** One typed query per method, on whatever handle it is given (a transaction's or the pool's). */
export function paymentsRepository(db: Db) {
  async function move(
    id: string,
    t: PaymentTransition,
    allowed: readonly PaymentStatus[],
    now: Date,
    also: { refundPendingMinor?: number } = {},
  ): Promise<PaymentRow> {
    if (!allowed.includes(t.status))
      throw new Error(`payment ${id}: ${t.status} is not this method's status`);
    const rows = await db
      .update(payments)
      .set({ status: t.status, ...t.stamps, ...also, updatedAt: now })
      .where(eq(payments.id, id))
      .returning();
    return rows[0]!;
  }

  return {
    /**
     * A new payment, CREATED (the status and money columns keep their defaults), undefined when its
     * idempotency key is taken; in the same statement (one round trip), what else it writes:
     * with `sandboxCheckout`, the sandbox's checkout row (the sandbox's "remote" side is ours: same
     * amount, currency, description and expiry; written only with the payment); with `job`, its
     * expiry job (pg-boss's own INSERT, see `JobQueue.sendStatement`; written even when the key is
     * taken, then for an id no payment has — its run finds nothing to do).
     */
    async insertPayment(
      values: NewPaymentValues,
      also: { sandboxCheckout?: boolean; job?: { text: string; values: unknown[] } } = {},
    ): Promise<PaymentRow | undefined> {
      const row = rowShape(values);
      const jobValues = also.job?.values ?? [];
      const shape = `insertPayment|${row.shape}|${also.sandboxCheckout ? 'checkout' : ''}|${also.job?.text ?? ''}`;
      const rows = await statements<PaymentRow>(
        db,
        shape,
        () => insertPaymentStatement(db, row.placeholders(), { ...also, jobParams: jobValues.length }),
        { ...values, ...Object.fromEntries(jobValues.map((v, i) => [`job${i + 1}`, v])) },
      );
      return rows[0];
    },
    async findByIdempotencyKey(key: string) {
      return (await db.select().from(payments).where(eq(payments.idempotencyKey, key)))[0];
    },
    async findById(id: string) {
      return (await db.select().from(payments).where(eq(payments.id, id)))[0];
    },
    async findForUpdate(id: string) {
      return (await db.select().from(payments).where(eq(payments.id, id)).for('update'))[0];
    },
    async findByOrderForUpdate(provider: Provider, orderId: string) {
      return (
        await db
          .select()
          .from(payments)
          .where(and(eq(payments.provider, provider), eq(payments.orderId, orderId)))
          .for('update')
      )[0];
    },
    async findByPaymentRefForUpdate(provider: Provider, paymentRef: string) {
      return (
        await db
          .select()
          .from(payments)
          .where(and(eq(payments.provider, provider), eq(payments.gatewayPaymentRef, paymentRef)))
          .for('update')
      )[0];
    },
    /** The payable's own payment: a second capture's record (refunded, never credited) is not it. */
    async latestForPayable(kind: PaymentRow['payableKind'], payableId: string) {
      return (
        await db
          .select()
          .from(payments)
          .where(
            and(
              eq(payments.payableKind, kind),
              eq(payments.payableId, payableId),
              eq(payments.kind, 'primary'),
            ),
          )
          // A fresh attempt made in the same instant its failed predecessor was (issue 12) wins.
          .orderBy(
            desc(payments.createdAt),
            sql`${payments.status} in ('FAILED', 'EXPIRED')`,
            desc(payments.id),
          )
          .limit(1)
      )[0];
    },
    /**
     * A status change `transition` (payments.rules.ts) decided, with its stamps: the only way a
     * payment's status is written. Each named method accepts only its own target status.
     */
    markSucceeded: (id: string, t: PaymentTransition, now: Date) => move(id, t, ['SUCCEEDED'], now),
    markFailed: (id: string, t: PaymentTransition, now: Date) => move(id, t, ['FAILED'], now),
    markExpired: (id: string, t: PaymentTransition, now: Date) => move(id, t, ['EXPIRED'], now),
    /** A refund confirmed: the refunded total (and status) from `transition`, its amount no longer pending. */
    async markRefundProcessed(id: string, t: PaymentTransition, refundPendingMinor: number, now: Date) {
      return move(id, t, ['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'], now, { refundPendingMinor });
    },
    /** Money set aside for a refund the gateway has not confirmed yet (the ceiling counts it). */
    async reserveRefund(id: string, refundPendingMinor: number, now: Date) {
      return (
        await db
          .update(payments)
          .set({ refundPendingMinor, updatedAt: now })
          .where(eq(payments.id, id))
          .returning()
      )[0]!;
    },
    /** A refund the gateway refused: its amount is no longer pending. */
    async releaseRefund(id: string, refundPendingMinor: number, now: Date) {
      await db.update(payments).set({ refundPendingMinor, updatedAt: now }).where(eq(payments.id, id));
    },
    /** What the gateway last said (webhook, callback, reconciler), for reconciliation. */
    async recordGatewayView(
      id: string,
      view: {
        gatewayStatus: string;
        gatewayAmountMinor?: number | null;
        gatewayCheckedAt: Date;
        updatedAt?: Date;
      },
    ) {
      return (await db.update(payments).set(view).where(eq(payments.id, id)).returning())[0]!;
    },
    /** What became of money that arrived after the payable stopped waiting (set once). */
    async setLateOutcome(id: string, lateOutcome: 'fulfilled' | 'refund') {
      return (await db.update(payments).set({ lateOutcome }).where(eq(payments.id, id)).returning())[0]!;
    },
    /** The gateway order or session, stored once: the first of two racing calls wins. */
    /** Stores the first checkout opened; the row back when this call stored it (undefined when another did). */
    async attachCheckout(
      id: string,
      c: { orderId: string; checkoutUrl: string | null },
      now: Date,
    ): Promise<PaymentRow | undefined> {
      const rows = await db
        .update(payments)
        .set({ orderId: c.orderId, checkoutUrl: c.checkoutUrl, updatedAt: now })
        .where(and(eq(payments.id, id), isNull(payments.orderId)))
        .returning();
      return rows[0];
    },
    /** The record of money captured a second time on one order, paid on arrival (`transition` from CREATED). */
    async insertSecondCapture(
      values: Omit<NewPayment, 'status' | 'kind' | 'paidAt' | 'capturedMinor' | 'failedAt' | 'refundedMinor'>,
      t: PaymentTransition,
    ): Promise<PaymentRow | undefined> {
      const rows = await db
        .insert(payments)
        .values({ ...values, kind: 'second_capture', status: t.status, ...t.stamps })
        .onConflictDoNothing()
        .returning();
      return rows[0];
    },
    /** Payments that should have heard from the gateway by now, oldest first. */
    async listToReconcile(now: Date, failedSince: Date, limit: number) {
      return db
        .select({ id: payments.id })
        .from(payments)
        .where(
          or(
            and(eq(payments.status, 'CREATED'), lte(payments.expiresAt, now)),
            // A Razorpay `failed` can become authorized or captured days later.
            and(
              eq(payments.status, 'FAILED'),
              eq(payments.provider, 'razorpay'),
              gte(payments.failedAt, failedSince),
            ),
          ),
        )
        .orderBy(asc(payments.expiresAt))
        .limit(limit);
    },
    async listForReconciliationReport(since: Date, limit: number) {
      return db
        .select()
        .from(payments)
        .where(gte(payments.createdAt, since))
        .orderBy(desc(payments.createdAt))
        .limit(limit);
    },

    async insertRefund(values: NewRefund) {
      const rows = await db.insert(refunds).values(values).onConflictDoNothing().returning();
      return rows[0];
    },
    async findRefundByKey(key: string) {
      return (await db.select().from(refunds).where(eq(refunds.idempotencyKey, key)))[0];
    },
    async findRefundById(id: string) {
      return (await db.select().from(refunds).where(eq(refunds.id, id)))[0];
    },
    async findRefundForUpdate(id: string) {
      return (await db.select().from(refunds).where(eq(refunds.id, id)).for('update'))[0];
    },
    async findRefundByGatewayId(paymentId: string, gatewayRefundId: string) {
      return (
        await db
          .select()
          .from(refunds)
          .where(and(eq(refunds.paymentId, paymentId), eq(refunds.gatewayRefundId, gatewayRefundId)))
      )[0];
    },
    async listRefunds(paymentId: string) {
      return db
        .select()
        .from(refunds)
        .where(eq(refunds.paymentId, paymentId))
        .orderBy(asc(refunds.createdAt));
    },
    async listRefundsOf(paymentIds: string[]) {
      if (paymentIds.length === 0) return [];
      return db.select().from(refunds).where(inArray(refunds.paymentId, paymentIds));
    },
    /** Refunds the gateway accepted as pending whose confirmation is overdue. */
    async listPendingRefundsBefore(before: Date, limit: number) {
      return db
        .select({ id: refunds.id, paymentId: refunds.paymentId, gatewayRefundId: refunds.gatewayRefundId })
        .from(refunds)
        .where(
          and(
            eq(refunds.status, 'PENDING'),
            isNotNull(refunds.gatewayRefundId),
            lt(refunds.createdAt, before),
          ),
        )
        .orderBy(asc(refunds.createdAt))
        .limit(limit);
    },
    /** A refund leaves PENDING once (`refundTransition`), with when and the gateway's id or the reason. */
    async settleRefund(
      id: string,
      t: { status: RefundStatus },
      s: { processedAt: Date; gatewayRefundId?: string | null; failureReason?: string },
    ) {
      return (
        await db
          .update(refunds)
          .set({ status: t.status, ...s })
          .where(eq(refunds.id, id))
          .returning()
      )[0]!;
    },
    /** The gateway accepted the refund as pending under this id; its webhook or the reconciler settles it. */
    async setGatewayRefundId(id: string, gatewayRefundId: string) {
      await db.update(refunds).set({ gatewayRefundId }).where(eq(refunds.id, id));
    },

    /** Insert-first: the loser of a race (or a redelivery) gets nothing back and applies nothing. */
    async claimEvent(values: typeof webhookEvents.$inferInsert) {
      const rows = await db
        .insert(webhookEvents)
        .values(values)
        .onConflictDoNothing({ target: [webhookEvents.provider, webhookEvents.eventId] })
        .returning({ id: webhookEvents.id });
      return rows[0]?.id;
    },
    async markEventProcessed(id: string, patch: { processedAt: Date; outcome: string; paymentId?: string }) {
      await db.update(webhookEvents).set(patch).where(eq(webhookEvents.id, id));
    },
    async countEvents(provider: Provider, eventId: string) {
      const rows = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(webhookEvents)
        .where(and(eq(webhookEvents.provider, provider), eq(webhookEvents.eventId, eventId)));
      return rows[0]?.n ?? 0;
    },

    async findCustomer(patientId: string, provider: Provider) {
      return (
        await db
          .select()
          .from(paymentCustomers)
          .where(and(eq(paymentCustomers.patientId, patientId), eq(paymentCustomers.provider, provider)))
      )[0];
    },
    async insertCustomer(values: typeof paymentCustomers.$inferInsert) {
      await db.insert(paymentCustomers).values(values).onConflictDoNothing();
    },
  };
}
export type PaymentsRepository = ReturnType<typeof paymentsRepository>;
