import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const txRetries = new Counter({
    name: 'db_transaction_retries_total',
    help: 'Transactions retried after a serialization failure or deadlock',
    labelNames: ['code'],
    registers: [registry],
  });
  return { registry, httpDuration, txRetries };
}
export type Metrics = ReturnType<typeof createMetrics>;

export function instrumentHttp(app: FastifyInstance, metrics: Metrics): void {
  // Callback form: an async hook costs a promise and a microtask turn on every request.
  app.addHook('onResponse', (req, reply, done) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  const rawResponses = {
    200: {
      description: 'Prometheus text exposition format',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
  };
  const schema = {
    tags: ['operations'],
    summary: 'Prometheus metrics',
    description:
      'When METRICS_TOKEN is set, send it as `Authorization: Bearer <METRICS_TOKEN>`; without it, production answers 404.',
    rawResponses,
    errorCodes: { 401: ['UNAUTHORIZED'], 404: ['NOT_FOUND'] },
  };
  app.get('/metrics', { schema }, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
