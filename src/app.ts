import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from './config.js';
import { auditStaffReads } from './platform/audit-reads.js';
import { type Clock, systemClock } from './platform/clock.js';
import { securityHeaders } from './platform/csp.js';
import { migrationsApplied } from './platform/db/migrate.js';
import { Errors } from './platform/errors.js';
import { clientKey, hardenHttp, serverTimeouts } from './platform/http-hardening.js';
import { installIdempotency } from './platform/idempotency.js';
import { bodyTolerantValidator, installInputGuards } from './platform/input.js';
import { instrumentHttp } from './platform/metrics.js';
import type { AppModule, Platform } from './platform/module.js';
import { documentFinisher, routeConventions, routeTransform } from './platform/openapi.js';
import { clientErrorHandler, frameworkErrors, installProblemHandlers } from './platform/problem.js';

export type AppDeps = Pick<Platform, 'config' | 'pool' | 'metrics'> & {
  log: Logger;
  modules: AppModule[];
  /** The clock idempotency keys are stamped with (the platform's; the system clock when left out). */
  clock?: Clock;
};

/**
 * Fastify treats a bare number as "trust nothing", so a hop count becomes a function over proxy-addr's
 * hop index (0 is the socket peer): the peer and the next n-1 addresses are proxies, the one after is
 * the client. A hop count is only safe when Carebook is reachable through those proxies alone.
 */
function trustProxyOption(trust: Config['http']['trustProxy']) {
  if (typeof trust === 'number') return trust === 0 ? false : (_addr: string, hop: number) => hop < trust;
  return trust === false ? false : [...trust];
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // X-Forwarded-For is believed only from the configured proxies (none by default), so a client
    // cannot pick the address that rate limits and the audit log key on.
    trustProxy: trustProxyOption(config.http.trustProxy),
    routerOptions: { ignoreTrailingSlash: true },
    // Errors raised before routing answer problem+json too.
    frameworkErrors,
    clientErrorHandler,
    // Security (issue 10): slow bodies are cut off.
    ...serverTimeouts(config),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(bodyTolerantValidator);
  app.setSerializerCompiler(serializerCompiler);
  const webDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web/dist');
  const hasWeb = existsSync(path.join(webDist, 'index.html'));
  installProblemHandlers(app, config.isProduction, hasWeb ? { spaIndexFile: 'index.html' } : {});
  installInputGuards(app);
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });

  securityHeaders(app, config.http.publicUrl, { razorpayCheckout: !!config.payments.razorpay });
  // Security (issue 10): connection cap, no-store, webhook limit, /metrics guard; before any route.
  hardenHttp(app, config);
  auditStaffReads(app, deps.pool);
  await app.register(cors, { origin: config.http.corsOrigins.length ? config.http.corsOrigins : false });
  await app.register(rateLimit, {
    max: config.http.rateLimitPerMinute,
    timeWindow: '1 minute',
    // IPv6 clients count by /64 (issue 10).
    keyGenerator: (req) => clientKey(req.ip),
    errorResponseBuilder: (_req, ctx) =>
      Errors.tooMany('RATE_LIMITED', 'Too many requests; slow down.', Math.ceil(ctx.ttl / 1000)),
  });
  const routeFacts = routeConventions(app);
  installIdempotency(app, { pool: deps.pool, clock: deps.clock ?? systemClock });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Carebook API',
        version: '0.1.0',
        description: [
          'Clinic and telehealth patient journey: one-time-code sign-in, clinician slots, booking with payment, refunds, notifications.',
          '',
          '- **Money** is `{amount, currency}` in minor units (29900 = INR 299.00) unless an endpoint says otherwise.',
          '- **Errors** are `application/problem+json` (RFC 9457) with a stable `code`; each operation lists its codes. Validation errors carry `errors: [{path, message}]`.',
          '- **Authentication**: `Authorization: Bearer <access token>` from the sign-in endpoints. It is checked before the body is validated (401 before 400).',
          '- **Idempotency**: money-creating POSTs accept an `Idempotency-Key` header; the same key with the same body returns the first reply, with another body 409 `IDEMPOTENCY_KEY_REUSED`.',
          '- **Paging**: lists that grow without bound answer `{items, nextCursor}` and take `?limit=&cursor=`.',
          '- **Plans**: `none`, `free_trial`, `standard`, `standard_plus` (bookings are paid) and `vise` (bookings are free with a clinician the patient already has a relationship with, otherwise paid).',
        ].join('\n'),
      },
      servers: [{ url: config.http.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: routeTransform,
    transformObject: documentFinisher(routeFacts, { license: 'MIT' }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['operations'],
        summary: 'This OpenAPI 3.1 document',
        rawResponses: {
          200: {
            description: 'The OpenAPI document',
            content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
          },
        },
      },
    },
    async () => app.swagger(),
  );

  instrumentHttp(app, deps.metrics);
  const status = (values: [string, ...string[]]) => z.object({ status: z.enum(values) });
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process is up',
        response: { 200: status(['ok']) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database is reachable and every migration is applied',
        response: { 200: status(['ready']), 503: status(['not ready']) },
        rawResponses: {
          503: {
            description: 'Not ready: migrations missing or the database unreachable',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
              },
            },
          },
        },
      },
    },
    async (_req, reply) => {
      const ready = await migrationsApplied(deps.pool);
      reply.status(ready ? 200 : 503);
      return ready ? { status: 'ready' as const } : { status: 'not ready' as const };
    },
  );

  if (hasWeb) await app.register(fastifyStatic, { root: webDist, wildcard: false });
  for (const mod of deps.modules) if (mod.routes) await app.register(mod.routes);
  return app;
}
