import { drizzle } from 'drizzle-orm/node-postgres';
import { GatewayRejected, type PaymentFact } from './gateways/types.js';
import { applyPaymentFact, type PayableRegistry } from './payments.apply.js';
import type { PaymentsDeps } from './payments.ports.js';
import { paymentsRepository } from './payments.repository.js';
import { decideAuthorization } from './payments.rules.js';

type ApplyDeps = PaymentsDeps & { payables: PayableRegistry };

/**
 * The `payments.capture` job: captures an authorisation at the gateway (network, outside any
 * transaction), then credits it through `applyPaymentFact` under the payment's lock, where it is an
 * ordinary success: on time, or late (the payable's `onLate` decides). A retried job, a duplicate
 * job or an authorisation the gateway already captured ends in the same single credit.
 */
export function makeCapture(deps: PaymentsDeps, applyDeps: ApplyDeps) {
  const read = paymentsRepository(drizzle(deps.pool, { casing: 'snake_case' }));

  return async function capturePayment(job: { paymentId: string; paymentRef: string }): Promise<string> {
    const p = await read.findById(job.paymentId);
    if (!p?.orderId) return 'unknown_payment';
    // Re-decided on the current row: paid meanwhile (this authorisation or another) -> nothing to capture.
    const d = decideAuthorization(p, { paymentRef: job.paymentRef });
    if (d.action === 'none') return d.reason;
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
      return 'capture_refused';
    }
    const now = deps.clock.now();
    return deps.uow(async (tx) => {
      const locked = (await paymentsRepository(tx.db).findForUpdate(p.id))!;
      return applyPaymentFact(applyDeps, tx, locked, fact, now);
    });
  };
}
