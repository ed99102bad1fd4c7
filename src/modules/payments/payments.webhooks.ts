import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../../platform/errors.js';
import type { GatewayEvent, Provider } from './gateways/types.js';
import { applyPaymentFact, type PayableRegistry } from './payments.apply.js';
import type { WebhookOutcome } from './payments.metrics.js';
import type { PaymentsDeps } from './payments.ports.js';
import type { makeRefunds } from './payments.refunds.js';
import { type PaymentsRepository, paymentsRepository } from './payments.repository.js';

type ApplyDeps = PaymentsDeps & { payables: PayableRegistry };

async function locate(
  repo: PaymentsRepository,
  provider: Provider,
  ids: { orderId?: string; paymentRef?: string },
) {
  if (ids.orderId) {
    const byOrder = await repo.findByOrderForUpdate(provider, ids.orderId);
    if (byOrder) return byOrder;
  }
  return ids.paymentRef ? repo.findByPaymentRefForUpdate(provider, ids.paymentRef) : undefined;
}

/**
 * The webhook inbox. The signature is checked on the raw bytes before anything is parsed or
 * stored. Then, in ONE transaction: claim (provider, event id) insert-first, lock the payment,
 * apply, mark processed. A duplicate (even 20 at once) finds the claim taken and applies nothing;
 * a crash anywhere rolls all of it back, so the gateway's redelivery applies it exactly once.
 */
export function makeWebhookInbox(
  deps: PaymentsDeps,
  applyDeps: ApplyDeps,
  refunds: ReturnType<typeof makeRefunds>,
) {
  async function apply(
    repo: PaymentsRepository,
    tx: Parameters<typeof applyPaymentFact>[1],
    provider: Provider,
    event: GatewayEvent,
    now: Date,
  ): Promise<{ outcome: WebhookOutcome; paymentId?: string }> {
    const fact = event.payment ?? event.refund;
    if (!fact) return { outcome: 'ignored' };
    const p = await locate(repo, provider, fact);
    if (!p) return { outcome: 'unknown_object' };
    if (event.payment)
      return { outcome: await applyPaymentFact(applyDeps, tx, p, event.payment, now), paymentId: p.id };
    return { outcome: await refunds.applyRefundFact(tx, p, event.refund!, now), paymentId: p.id };
  }

  /** Claims the event insert-first; a duplicate finds the claim taken and applies nothing. */
  async function record(
    tx: Parameters<typeof applyPaymentFact>[1],
    provider: Provider,
    event: GatewayEvent,
    now: Date,
  ): Promise<WebhookOutcome> {
    const repo = paymentsRepository(tx.db);
    const claimed = await repo.claimEvent({
      provider,
      eventId: event.eventId,
      type: event.type.slice(0, 100),
      payload: event.payload as object,
      receivedAt: now,
    });
    if (!claimed) return 'duplicate';
    const result = await apply(repo, tx, provider, event, now);
    await repo.markEventProcessed(claimed, { processedAt: now, ...result });
    return result.outcome;
  }

  async function ingest(provider: Provider, raw: Buffer, headers: IncomingHttpHeaders) {
    const now = deps.clock.now();
    const gateway = deps.gateways.get(provider);
    let event: GatewayEvent;
    try {
      event = gateway.parseWebhook(raw, headers, now);
    } catch (err) {
      // A forged, stale or garbled delivery (400): nothing is stored, so this count is its only trace.
      if (err instanceof AppError) deps.counters.webhookEvent(provider, 'rejected');
      throw err;
    }
    return deps.uow(async (tx) => {
      const outcome = await record(tx, provider, event, now);
      // Counted only if this attempt commits: a rolled-back one is redelivered and counted then.
      tx.afterCommit(() => deps.counters.webhookEvent(provider, outcome));
      return { eventId: event.eventId, outcome };
    });
  }

  return { ingest };
}
