import type { Server } from 'node:http';
import type { AuthGuard } from '../../platform/auth.js';
import { registerJob } from '../../platform/jobs.js';
import type { AppModule, Platform } from '../../platform/module.js';
import { createGateways } from './gateways/index.js';
import { makeSandboxDelivery, sandboxPageRoutes } from './gateways/sandbox.page.js';
import {
  captureJob,
  expireJob,
  RECONCILE_CRON,
  reconcileJob,
  refundJob,
  sandboxDeliverJob,
} from './payments.jobs.js';
import { createPaymentsCounters } from './payments.metrics.js';
import type { PaymentsCollaborators } from './payments.ports.js';
import { paymentsRoutes } from './payments.routes.js';
import { createPaymentsService, type PaymentsService } from './payments.service.js';

export type { PaidPayable, PaidPayablesQuery } from './payments.paid.js';
export type {
  PayableHandlers,
  PayableKind,
  PaymentForHandler,
  PaymentSummary,
  RefundListener,
} from './payments.ports.js';
export type {
  CheckoutInfo,
  PaymentsService,
  PreparedPayment,
  PreparePaymentInput,
} from './payments.service.js';

export type PaymentsModuleDeps = Pick<
  Platform,
  'config' | 'clock' | 'log' | 'pool' | 'uow' | 'metrics' | 'jobs'
> &
  PaymentsCollaborators & { auth: AuthGuard };
export type PaymentsModule = AppModule & { service: PaymentsService };

/** Payments for any payable: gateways (sandbox, Stripe, Razorpay), webhook inbox, refunds, reconciliation. */
export function createPaymentsModule(deps: PaymentsModuleDeps): PaymentsModule {
  const gateways = createGateways(deps.config, deps.pool);
  const counters = createPaymentsCounters(deps.metrics.registry);
  const service = createPaymentsService({ ...deps, gateways, counters });
  const serverRef: { server?: Server } = {};
  const sandbox = gateways.available().includes('sandbox');
  return {
    name: 'payments',
    service,
    routes: async (app) => {
      await app.register(paymentsRoutes({ auth: deps.auth, service }));
      if (sandbox) await app.register(sandboxPageRoutes(deps, serverRef));
    },
    jobs: [
      registerJob(refundJob, ({ refundId }) => service.processRefund(refundId)),
      registerJob(captureJob, async (job) => void (await service.capturePayment(job))),
      registerJob(expireJob, async ({ paymentId }) => void (await service.settleOverdue(paymentId))),
      registerJob(reconcileJob, async () => void (await service.reconcileDue()), RECONCILE_CRON),
      registerJob(sandboxDeliverJob, makeSandboxDelivery(deps, serverRef)),
    ],
  };
}
