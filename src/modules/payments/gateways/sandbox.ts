import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Pool } from '../../../platform/db/pool.js';
import { sandboxCheckouts } from '../payments.table.js';
import {
  type CheckoutInput,
  type Gateway,
  type GatewayEvent,
  GatewayRejected,
  type GatewayStatus,
  headerValue,
  signatureInvalid,
  verificationFailed,
} from './types.js';

export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';
export const SANDBOX_TOLERANCE_SECONDS = 300;

export type SandboxEventType =
  | 'payment.succeeded'
  | 'payment.failed'
  | 'checkout.expired'
  | 'refund.processed';
export type SandboxEvent = {
  id: string;
  type: SandboxEventType | string;
  created: number;
  data: {
    checkoutId: string;
    paymentRef?: string;
    amountMinor?: number;
    currency?: string;
    /** ISO instant the patient paid (payment.succeeded). */
    paidAt?: string;
    refund?: { id: string; refundId?: string; amountMinor: number };
  };
};

const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, like Stripe's scheme, so a stale replay fails. */
export function signSandboxPayload(secret: string, body: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmac(secret, `${timestampSeconds}.${body}`)}`;
}

/** The client callback proof the sandbox page gives the browser: HMAC of `orderId|paymentRef`. */
export const sandboxCallbackSignature = (secret: string, orderId: string, paymentRef: string) =>
  hmac(secret, `${orderId}|${paymentRef}`);

const safeEqualHex = (a: string, b: string) => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

export function verifySandboxSignature(
  secret: string,
  raw: Buffer,
  header: string | undefined,
  now: Date,
): void {
  if (!header) throw signatureInvalid();
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const [k, v] = item.split('=', 2);
    if (!k || !v) continue;
    parts.set(k.trim(), [...(parts.get(k.trim()) ?? []), v.trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  const sigs = parts.get('v1') ?? [];
  if (!Number.isInteger(t) || sigs.length === 0) throw signatureInvalid();
  const expected = hmac(secret, `${t}.${raw.toString('utf8')}`);
  if (!sigs.some((s) => safeEqualHex(s, expected))) throw signatureInvalid();
  if (Math.floor(now.getTime() / 1000) - t > SANDBOX_TOLERANCE_SECONDS)
    throw signatureInvalid('The webhook timestamp is outside the tolerance window.');
}

/** The sandbox checkout of a payment: one per payment, named after it. */
export const sandboxCheckoutId = (paymentId: string) => `sbx_${paymentId.replace(/-/g, '')}`;

/**
 * The built-in gateway for offline use. Its "remote" state is the sandbox_checkouts table; its
 * hosted page (/sandbox/checkout/:id) and webhook delivery live in sandbox.page.ts and the jobs.
 */
export function createSandboxGateway(deps: { pool: Pool; secret: string; publicUrl: string }): Gateway {
  const db = drizzle(deps.pool, { casing: 'snake_case' });
  const find = async (id: string) =>
    (await db.select().from(sandboxCheckouts).where(eq(sandboxCheckouts.id, id)))[0];
  return {
    provider: 'sandbox',
    localCheckout: (paymentId) => {
      const orderId = sandboxCheckoutId(paymentId);
      return { orderId, checkoutUrl: `${deps.publicUrl}/sandbox/checkout/${orderId}` };
    },
    async createCheckout(input: CheckoutInput) {
      // One checkout per payment: opening it twice returns the same one.
      const id = sandboxCheckoutId(input.paymentId);
      await db
        .insert(sandboxCheckouts)
        .values({
          id,
          amountMinor: input.amountMinor,
          currency: input.currency,
          description: input.description,
          createdAt: input.now,
          expiresAt: input.expiresAt,
        })
        .onConflictDoNothing();
      return { orderId: id, checkoutUrl: `${deps.publicUrl}/sandbox/checkout/${id}` };
    },
    async verifyClientCallback({ orderId, paymentRef, signature }) {
      const co = await find(orderId);
      if (co?.status !== 'paid' || co.paymentRef !== paymentRef) throw verificationFailed();
      if (!safeEqualHex(signature, sandboxCallbackSignature(deps.secret, orderId, paymentRef)))
        throw verificationFailed();
      return {
        outcome: 'succeeded',
        orderId,
        paymentRef,
        amountMinor: co.amountMinor,
        currency: co.currency,
        ...(co.completedAt ? { paidAt: co.completedAt } : {}),
      };
    },
    parseWebhook(raw: Buffer, headers: IncomingHttpHeaders, now: Date): GatewayEvent {
      verifySandboxSignature(deps.secret, raw, headerValue(headers, SANDBOX_SIGNATURE_HEADER), now);
      let event: SandboxEvent;
      try {
        event = JSON.parse(raw.toString('utf8')) as SandboxEvent;
      } catch {
        throw signatureInvalid('The webhook body is not JSON.');
      }
      if (typeof event?.id !== 'string' || typeof event.type !== 'string' || !event.data?.checkoutId)
        throw signatureInvalid('The webhook body is not a sandbox event.');
      const d = event.data;
      const base = { eventId: event.id, type: event.type, payload: event };
      const fact = {
        orderId: d.checkoutId,
        paymentRef: d.paymentRef,
        amountMinor: d.amountMinor,
        currency: d.currency,
      };
      switch (event.type) {
        case 'payment.succeeded': {
          const paidAt = d.paidAt ? new Date(d.paidAt) : undefined;
          const at = paidAt && !Number.isNaN(paidAt.getTime()) ? { paidAt } : {};
          return { ...base, payment: { outcome: 'succeeded', ...fact, ...at } };
        }
        case 'payment.failed':
          return { ...base, payment: { outcome: 'failed', ...fact } };
        case 'checkout.expired':
          return { ...base, payment: { outcome: 'expired', ...fact } };
        case 'refund.processed':
          return d.refund
            ? {
                ...base,
                refund: {
                  orderId: d.checkoutId,
                  paymentRef: d.paymentRef,
                  gatewayRefundId: d.refund.id,
                  refundId: d.refund.refundId,
                  amountMinor: d.refund.amountMinor,
                  status: 'processed',
                },
              }
            : base;
        default:
          return base;
      }
    },
    async refund(input) {
      if (!input.orderId) throw new GatewayRejected('sandbox refund needs a checkout');
      const gatewayRefundId = `sbx_rfnd_${input.refundId.replace(/-/g, '')}`;
      const done = await db
        .update(sandboxCheckouts)
        .set({
          refundedMinor: sql`${sandboxCheckouts.refundedMinor} + ${input.amountMinor}`,
          refundIds: sql`array_append(${sandboxCheckouts.refundIds}, ${input.idempotencyKey})`,
        })
        .where(
          and(
            eq(sandboxCheckouts.id, input.orderId),
            eq(sandboxCheckouts.status, 'paid'),
            sql`not (${input.idempotencyKey} = any(${sandboxCheckouts.refundIds}))`,
            sql`${sandboxCheckouts.refundedMinor} + ${input.amountMinor} <= ${sandboxCheckouts.amountMinor}`,
          ),
        )
        .returning({ id: sandboxCheckouts.id });
      if (done.length === 0) {
        // A retry of a refund the sandbox already made answers like the first call did.
        const co = await find(input.orderId);
        if (!co?.refundIds.includes(input.idempotencyKey))
          throw new GatewayRejected('sandbox refused the refund');
      }
      return { gatewayRefundId, status: 'processed' };
    },
    async fetchStatus({ orderId }): Promise<GatewayStatus> {
      const co = await find(orderId);
      if (!co) return { state: 'open' };
      return {
        state: co.status,
        paymentRef: co.paymentRef ?? undefined,
        amountMinor: co.amountMinor,
        currency: co.currency,
        ...(co.status === 'paid' && co.completedAt ? { paidAt: co.completedAt } : {}),
      };
    },
    async expire({ orderId }) {
      const res = await db
        .update(sandboxCheckouts)
        .set({ status: 'expired' })
        .where(and(eq(sandboxCheckouts.id, orderId), eq(sandboxCheckouts.status, 'open')))
        .returning({ id: sandboxCheckouts.id });
      if (res.length) return 'expired';
      const co = await find(orderId);
      return co?.status === 'paid' ? 'completed' : 'expired';
    },
  };
}

export const newSandboxEventId = () => `sbx_evt_${randomUUID().replace(/-/g, '')}`;
