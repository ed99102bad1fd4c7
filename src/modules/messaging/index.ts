import { Counter } from 'prom-client';
import type { AuthGuard } from '../../platform/auth.js';
import { registerJob } from '../../platform/jobs.js';
import type { AppModule, Platform } from '../../platform/module.js';
import { createSenders } from './messaging.channels.js';
import { createDeliverer } from './messaging.deliver.js';
import { deliverJob } from './messaging.jobs.js';
import { messagingRoutes } from './messaging.routes.js';
import { createMessagingService, type MessagingService, type UserLookup } from './messaging.service.js';
import { createNotificationHub } from './messaging.stream.js';
import { createStreamTickets } from './messaging.tickets.js';

export type { MessagingService, NotifyRequest, UserLookup } from './messaging.service.js';
export type { Channel, TemplateId, TemplateVars } from './messaging.templates.js';
export { TEMPLATE_IDS, TEMPLATE_VARS } from './messaging.templates.js';

export type MessagingModuleDeps = Pick<
  Platform,
  'config' | 'clock' | 'log' | 'pool' | 'uow' | 'metrics' | 'listener'
> & {
  auth: AuthGuard;
  /** identity.service.getUser: fills a recipient's phone and email when only `userId` is given. */
  lookupUser: UserLookup;
};
export type MessagingModule = AppModule & { service: MessagingService };

/** Notification outbox, templates, channels (WhatsApp, SMS, email, in-app, console) and the live stream. */
export function createMessagingModule(deps: MessagingModuleDeps): MessagingModule {
  const service = createMessagingService(deps);
  const hub = createNotificationHub(deps);
  const senders = createSenders(deps.config);
  const attempts =
    (deps.metrics.registry.getSingleMetric('messaging_delivery_attempts_total') as Counter<
      'channel' | 'outcome'
    >) ??
    new Counter({
      name: 'messaging_delivery_attempts_total',
      help: 'Outside-provider delivery attempts by channel and outcome (sent, retry, failed)',
      labelNames: ['channel', 'outcome'],
      registers: [deps.metrics.registry],
    });
  return {
    name: 'messaging',
    service,
    routes: messagingRoutes({
      ...deps,
      service,
      hub,
      tickets: createStreamTickets(deps.config.auth.jwtSecret, deps.clock, deps.pool),
    }),
    jobs: [
      registerJob(
        deliverJob,
        createDeliverer(deps, senders, (channel, outcome) => attempts.inc({ channel, outcome })),
      ),
    ],
    close: async () => {
      senders.smtp?.close();
    },
  };
}
