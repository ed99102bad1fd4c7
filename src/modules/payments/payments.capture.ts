import { drizzle } from 'drizzle-orm/node-postgres';
import { GatewayRejected, type PaymentFact } from './gateways/types.js';
import { applyPaymentFact, type FactOutcome, type PayableRegistry } from './payments.apply.js';
import type { PaymentsDeps } from './payments.ports.js';
import { paymentsRepository } from './payments.repository.js';
import { type AuthorizationDecision, decideAuthorization } from './payments.rules.js';

type ApplyDeps = PaymentsDeps & { payables: PayableRegistry };

/** How one capture job ended (counted per provider; a transient error is retried, not counted). */
export type CaptureOutcome =
  | Extract<AuthorizationDecision, { action: 'none' }>['reason']
  | 'capture_refused'
  | FactOutcome;

/**
 * The `payments.capture` job: captures an authorisation at the gateway (network, outside any
 * transaction), then credits it through `applyPaymentFact` under the payment's lock, where it is an
 * ordinary success: on time, or late (the payable's `onLate` decides). A retried job, a duplicate
 * job or an authorisation the gateway already captured ends in the same single credit.
 */
export function makeCapture(deps: PaymentsDeps, applyDeps: ApplyDeps) {
  const read = paymentsRepository(drizzle(deps.pool, { casing: 'snake_case' }));

  return async function capturePayment(job: {
    paymentId: string;
    paymentRef: string;
  }): Promise<CaptureOutcome | 'unknown_payment'> {
    const p = await read.findById(job.paymentId);
    if (!p?.orderId) return 'unknown_payment';
    // Decided on a plain read, with nothing written: counted at once.
    const settled = (outcome: CaptureOutcome) => {
      deps.counters.capture(p.provider, outcome);
      return outcome;
    };
    // Re-decided on the current row: paid meanwhile (this authorisation or another) -> nothing to capture.
    const d = decideAuthorization(p, { paymentRef: job.paymentRef });
    if (d.action === 'none') return settled(d.reason);
    const gateway = deps.gateways.get(p.provider);
    if (!gateway.capture) throw new Error(`${p.provider} has no separate capture`);
    let fact: PaymentFact;
    try {
      fact = await gateway.capture({
        orderId: p.orderId,
        paymentRef: job.paymentRef,
        amountMinor: p.amountMinor,
        currency: p.currency,
      });
    } catch (err) {
      if (!(err instanceof GatewayRejected)) throw err; // transient: the job retries the same capture
      // Voided, expired or not ours: nothing was captured, so nothing is owed; the reconciler
      // keeps asking the gateway while the payment is unsettled.
      deps.log.warn({ paymentId: p.id, reason: err.message }, 'authorisation could not be captured');
      return settled('capture_refused');
    }
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const locked = (await paymentsRepository(tx.db).findForUpdate(p.id))!;
      const outcome = await applyPaymentFact(applyDeps, tx, locked, fact, now);
      tx.afterCommit(() => deps.counters.capture(p.provider, outcome));
      return outcome;
    });
  };
}
