import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

type Directives = Record<string, string[]>;

/**
 * The web app and the API load nothing but their own files: scripts, styles, fonts and fetches from
 * this origin only, no inline script or style, no plugins, never framed. Images may also be data:
 * URIs (Swagger UI's logo). Upgrading insecure requests applies only when served over HTTPS.
 */
export function strictDirectives(publicUrl: string): Directives {
  return {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'form-action': ["'self'"],
    ...(publicUrl.startsWith('https:') ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

const inlineStyles = { 'style-src': ["'self'", "'unsafe-inline'"] };

/**
 * Pages that need more than the strict policy, and only the directive they need; no page gets
 * inline scripts. Swagger UI (/docs) adds <style> elements at run time; the sandbox checkout page
 * (payments module) is server-rendered HTML with an inline <style> block and style attributes.
 */
const RELAXED: Array<{ matches: (url: string) => boolean; directives: Directives }> = [
  { matches: (url) => url === '/docs' || url.startsWith('/docs/'), directives: inlineStyles },
  { matches: (url) => url.startsWith('/sandbox/checkout/'), directives: inlineStyles },
];

/**
 * Razorpay Checkout: the web app loads Razorpay's own script, which opens its payment form in a frame
 * from Razorpay and talks to Razorpay's API. Only these origins, and only on the web app's document.
 */
export const RAZORPAY_CHECKOUT_SCRIPT = 'https://checkout.razorpay.com/v1/checkout.js';
export function razorpayCheckoutDirectives(strict: Directives): Directives {
  return {
    'script-src': [...(strict['script-src'] ?? []), 'https://checkout.razorpay.com'],
    'frame-src': ["'self'", 'https://api.razorpay.com', 'https://checkout.razorpay.com'],
    'connect-src': [
      ...(strict['connect-src'] ?? []),
      'https://api.razorpay.com',
      'https://lumberjack.razorpay.com',
    ],
  };
}

/** The web app's HTML: its index (`/`, `/index.html`) and the SPA fallback every unknown GET gets. */
const isAppDocument = (method: string, url: string | undefined, path: string) =>
  (method === 'GET' || method === 'HEAD') &&
  (url === '/' || url === '/index.html' || (url === undefined && !path.startsWith('/api/')));

/**
 * Helmet's security headers with the strict policy, or a relaxed one for the pages above (matched on
 * the route's pattern). Each policy's headers are worked out once: building helmet per request (what
 * @fastify/helmet does) cost about a quarter of the throughput of the hottest read. With
 * `razorpayCheckout` (Razorpay configured), the web app's document also allows Razorpay Checkout.
 */
export function securityHeaders(
  app: FastifyInstance,
  publicUrl: string,
  opts: { razorpayCheckout?: boolean } = {},
): void {
  const strict = strictDirectives(publicUrl);
  const build = (directives: Directives) =>
    replayable(helmet({ contentSecurityPolicy: { useDefaults: false, directives } }));
  const strictHeaders = build(strict);
  const relaxed = RELAXED.map((r) => ({ ...r, headers: build({ ...strict, ...r.directives }) }));
  const appDocument = opts.razorpayCheckout
    ? build({ ...strict, ...razorpayCheckoutDirectives(strict) })
    : null;
  app.addHook('onRequest', (req, reply, done) => {
    const url = req.routeOptions.url;
    const apply =
      (url && relaxed.find((r) => r.matches(url))?.headers) ||
      (appDocument && isAppDocument(req.method, url, req.url) ? appDocument : strictHeaders);
    apply(reply.raw);
    done();
  });
}

type HeaderOp = [name: string, value: string | number | readonly string[] | null];
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Helmet's headers as one list, worked out once: every directive here is a fixed string (no nonces,
 * no functions of the request), so each middleware sets and removes the same headers on every
 * request. Replaying them skips helmet's per-request work (the CSP header string was rebuilt each
 * time: about 4% of the slot listing's CPU, 2026-12-01).
 */
function replayable(middleware: Middleware): (res: ServerResponse) => void {
  const ops: HeaderOp[] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => ops.push([name, value]),
    removeHeader: (name: string) => ops.push([name, null]),
  };
  let finished = false;
  middleware(
    { method: 'GET', headers: {} } as IncomingMessage,
    recorder as unknown as ServerResponse,
    (err) => {
      if (err) throw err;
      finished = true;
    },
  );
  if (!finished) throw new Error('helmet did not set its headers synchronously');
  return (res) => {
    for (const [name, value] of ops) value === null ? res.removeHeader(name) : res.setHeader(name, value);
  };
}
