import Fastify, { type FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { razorpayCheckoutDirectives, securityHeaders, strictDirectives } from './csp.js';

/**
 * securityHeaders replays the headers helmet worked out once; they must be exactly the headers helmet
 * itself sets on each request (names, values, order), for each policy, and X-Powered-By stays removed.
 */
describe('security headers worked out once', () => {
  const publicUrl = 'https://carebook.example';
  const strict = strictDirectives(publicUrl);
  const inline = { ...strict, 'style-src': ["'self'", "'unsafe-inline'"] };
  let replayed: FastifyInstance;
  let reference: FastifyInstance;

  const routes = (app: FastifyInstance) => {
    app.addHook('onRequest', async (_req, reply) => {
      reply.raw.setHeader('x-powered-by', 'something');
    });
    for (const url of ['/api/centres', '/docs', '/sandbox/checkout/:id', '/'])
      app.get(url, async () => ({ ok: true }));
  };

  beforeAll(async () => {
    replayed = Fastify();
    routes(replayed);
    securityHeaders(replayed, publicUrl, { razorpayCheckout: true });
    // What helmet sets when it runs on the request itself, policy chosen by the test.
    reference = Fastify();
    routes(reference);
    const policyFor = (url: string) =>
      url === '/docs' || url.startsWith('/sandbox/checkout/')
        ? inline
        : url === '/'
          ? { ...strict, ...razorpayCheckoutDirectives(strict) }
          : strict;
    reference.addHook('onRequest', (req, reply, done) => {
      const directives = policyFor(req.routeOptions.url ?? '');
      helmet({ contentSecurityPolicy: { useDefaults: false, directives } })(req.raw, reply.raw, () => done());
    });
  });
  afterAll(async () => {
    await replayed?.close();
    await reference?.close();
  });

  const headersOf = async (app: FastifyInstance, url: string) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    const { date: _date, ...rest } = res.headers;
    return rest;
  };

  test.each([['/api/centres'], ['/docs'], ['/sandbox/checkout/abc'], ['/']])('%s', async (url) => {
    const got = await headersOf(replayed, url);
    expect(got).toEqual(await headersOf(reference, url));
    expect(got['x-powered-by']).toBeUndefined();
    expect(got['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(got['strict-transport-security']).toBeDefined();
  });

  test('each policy differs where it should', async () => {
    const api = (await headersOf(replayed, '/api/centres'))['content-security-policy'];
    const docs = (await headersOf(replayed, '/docs'))['content-security-policy'];
    const app = (await headersOf(replayed, '/'))['content-security-policy'];
    expect(api).not.toContain('unsafe-inline');
    expect(docs).toContain("style-src 'self' 'unsafe-inline'");
    expect(app).toContain('https://checkout.razorpay.com');
    expect(api).not.toContain('razorpay');
  });
});
