import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { Errors } from './errors.js';

/**
 * The key per-IP limits count under: an IPv4 address as it is, an IPv6 client by its /64 (one
 * subscriber usually holds a whole /64, so counting single addresses lets them rotate past limits).
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as the IPv4 address.
 */
export function clientKey(ip: string): string {
  if (!ip.includes(':')) return ip; // IPv4: no pattern to match (this runs on every request)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (net.isIPv6(ip)) return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
  return ip;
}

function expandIPv6(ip: string): string[] {
  const bare = ip.split('%')[0]!;
  // A trailing embedded IPv4 (`::1.2.3.4`) is two groups.
  const withV4 = bare.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((n) => n.toString(16)).join(':'),
  );
  const [head = '', tail] = withV4.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => Number.parseInt(g || '0', 16).toString(16));
}

/** Options for Fastify's HTTP server: slow or endless request bodies are cut off. */
export function serverTimeouts(config: Pick<Config, 'http'>) {
  const timeout = config.http.requestTimeoutMs;
  return {
    requestTimeout: timeout,
    // Node checks the timeout on this interval (30 s by default), so a short timeout needs a short
    // interval; and it must get the timeout at construction, or its 60 s headers timeout (longer than
    // the request timeout) keeps a trickling body alive.
    http: {
      requestTimeout: timeout,
      headersTimeout: Math.min(timeout, 60_000),
      connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(timeout / 4))),
    },
  };
}

const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The HTTP hardening the whole API shares: a connection cap, `Cache-Control: no-store` on API
 * replies (they carry personal data), a generous own limit for gateway webhooks, and `/metrics`
 * behind a bearer token (hidden in production without one). Call before routes are registered.
 */
export function hardenHttp(app: FastifyInstance, config: Pick<Config, 'http' | 'isProduction'>): void {
  app.server.maxConnections = config.http.maxConnections;
  // Hooks on every request take Fastify's callback form: an async hook costs a promise and a
  // microtask turn per request.
  app.addHook('onSend', (req, reply, payload, done) => {
    const url = req.url;
    if ((url.startsWith('/api/') || url.startsWith('/dev/')) && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  // Gateways replay bursts after an outage from a few addresses: a limit of their own, far above users'.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/payment/webhook/'))
      route.config = {
        ...(route.config as object),
        rateLimit: { max: config.http.webhookRateLimitPerMinute, timeWindow: '1 minute' },
      } as typeof route.config;
  });
  const token = config.http.metricsToken;
  const metricsGuard = (req: FastifyRequest) => {
    if (!token) {
      if (config.isProduction) throw Errors.notFound('Route', 'metrics');
      return;
    }
    const given = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
    if (!safeEqual(given, token)) throw Errors.unauthorized();
  };
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.url !== '/metrics' && !req.url.startsWith('/metrics?')) return done();
    try {
      metricsGuard(req);
      done();
    } catch (err) {
      done(err as Error);
    }
  });
}
