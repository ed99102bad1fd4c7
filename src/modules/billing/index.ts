import type { AuthGuard } from '../../platform/auth.js';
import { Errors } from '../../platform/errors.js';
import { defineJob, registerJob } from '../../platform/jobs.js';
import type { AppModule } from '../../platform/module.js';
import { billingRoutes } from './billing.routes.js';
import { type DemoDeps, describeBillingDemo, seedBillingDemo } from './billing.seed.js';
import { type BillingService, createBillingService } from './billing.service.js';

export type { BillingDeps } from './billing.ports.js';
export type { PrepaidPayable } from './billing.prepaid.js';
export type { CreditUnit } from './billing.rules.js';
export type { BillingService } from './billing.service.js';

/** Lapses subscriptions at period end and voids expired pending earnings. */
export const billingSweepJob = defineJob<Record<string, never>>('billing.sweep', { retryLimit: 2 });
export const BILLING_SWEEP_CRON = '*/5 * * * *';

export type BillingModule = AppModule & { service: BillingService };

/** The ledger, subscriptions and credits, prepaid earnings, doctor wallets and payouts. */
export function createBillingModule(deps: DemoDeps & { auth: AuthGuard }): BillingModule {
  const base = createBillingService(deps);
  const service: BillingService = {
    ...base,
    async recordPayout(adminId, input, key) {
      const doc = await deps.getUser?.(input.clinicianId);
      if (deps.getUser && doc?.role !== 'clinician') throw Errors.notFound('Clinician', input.clinicianId);
      return base.recordPayout(adminId, input, key);
    },
  };
  deps.payments.registerPayable('subscription', service.subscriptionHandlers);
  deps.payments.onRefunded(service.onRefunded);
  deps.payments.addToReconciliation(service.reconciliation);
  return {
    name: 'billing',
    service,
    routes: billingRoutes({ auth: deps.auth, service }),
    seedDemo: () => seedBillingDemo(deps, service),
    describeDemo: () => describeBillingDemo(deps, service),
    jobs: [
      registerJob(
        billingSweepJob,
        async () => {
          await service.lapseSubscriptions();
          await service.voidExpiredEarnings();
        },
        BILLING_SWEEP_CRON,
      ),
    ],
  };
}
