import { and, asc, desc, eq, gte, inArray, isNotNull, lt, lte, notLike, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/uow.js';
import type { Provider } from './gateways/types.js';
import { SECOND_CAPTURE_KEY_PATTERN } from './payments.rules.js';
import { paymentCustomers, payments, refunds, webhookEvents } from './payments.table.js';

export type PaymentRow = typeof payments.$inferSelect;
export type NewPayment = typeof payments.$inferInsert;
export type RefundRow = typeof refunds.$inferSelect;
export type NewRefund = typeof refunds.$inferInsert;

/** One typed query per method, on whatever handle it is given (a transaction's or the pool's). */
export function paymentsRepository(db: Db) {
  return {
    async insertPayment(values: NewPayment): Promise<PaymentRow | undefined> {
      const rows = await db.insert(payments).values(values).onConflictDoNothing().returning();
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
          .where(and(eq(payments.provider, provider), eq(payments.paymentId, paymentRef)))
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
              notLike(payments.idempotencyKey, SECOND_CAPTURE_KEY_PATTERN),
            ),
          )
          .orderBy(desc(payments.createdAt), desc(payments.id))
          .limit(1)
      )[0];
    },
    async update(id: string, patch: Partial<NewPayment>) {
      const rows = await db.update(payments).set(patch).where(eq(payments.id, id)).returning();
      return rows[0]!;
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
    async updateRefund(id: string, patch: Partial<NewRefund>) {
      return (await db.update(refunds).set(patch).where(eq(refunds.id, id)).returning())[0]!;
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
