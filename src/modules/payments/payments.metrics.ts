import { Counter, type Registry } from 'prom-client';
import type { Provider } from './gateways/types.js';
import type { FactOutcome } from './payments.apply.js';
import type { CaptureOutcome } from './payments.capture.js';
import type { RefundFactOutcome } from './payments.refunds.js';

/**
 * What the webhook inbox recorded for one delivery (`webhook_events.outcome`), plus `rejected` for
 * a delivery whose signature did not hold (nothing is stored for it). A closed set: never an id.
 */
export type WebhookOutcome =
  | FactOutcome
  | RefundFactOutcome
  | 'duplicate'
  | 'ignored'
  | 'unknown_object'
  | 'rejected';

type Labels = 'provider' | 'outcome';

/** On the platform registry; a second payments module in one process (a worker role) shares it. */
function counter(registry: Registry, name: string, help: string): Counter<Labels> {
  return (
    (registry.getSingleMetric(name) as Counter<Labels> | undefined) ??
    new Counter({ name, help, labelNames: ['provider', 'outcome'], registers: [registry] })
  );
}

/**
 * Payments' Prometheus counters. Callers count an outcome only once the transaction that decided
 * it has committed (`tx.afterCommit`), so a rolled-back or retried attempt counts nothing.
 */
export function createPaymentsCounters(registry: Registry) {
  const webhooks = counter(
    registry,
    'payments_webhook_events_total',
    'Gateway webhook deliveries by the outcome the inbox recorded (rejected: bad signature)',
  );
  const refunds = counter(
    registry,
    'payments_refunds_total',
    'Refunds by result: pending (accepted, not finished at the gateway), then processed or failed',
  );
  const lateMoney = counter(
    registry,
    'payments_late_money_total',
    'Money that arrived after the hold lapsed, by outcome (fulfilled, refund)',
  );
  const captures = counter(
    registry,
    'payments_captures_total',
    'Capture jobs for gateway authorisations by outcome (succeeded, late_*, capture_refused, ...)',
  );
  return {
    webhookEvent: (provider: Provider, outcome: WebhookOutcome) => webhooks.inc({ provider, outcome }),
    refund: (provider: Provider, outcome: 'processed' | 'pending' | 'failed') =>
      refunds.inc({ provider, outcome }),
    lateMoney: (provider: Provider, outcome: 'fulfilled' | 'refund') => lateMoney.inc({ provider, outcome }),
    capture: (provider: Provider, outcome: CaptureOutcome) => captures.inc({ provider, outcome }),
  };
}
export type PaymentsCounters = ReturnType<typeof createPaymentsCounters>;
