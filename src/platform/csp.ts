import type { FastifyInstance } from 'fastify';

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
 * Registers helmet's route-level policy for the relaxed pages. Must run before those routes are
 * registered (onRoute sees only later routes).
 */
export function relaxCspForPages(app: FastifyInstance, strict: Directives): void {
  app.addHook('onRoute', (route) => {
    const relaxed = RELAXED.find((r) => r.matches(route.url));
    if (!relaxed) return;
    route.config = Object.assign(route.config ?? {}, {
      helmet: {
        contentSecurityPolicy: { useDefaults: false, directives: { ...strict, ...relaxed.directives } },
      },
    });
  });
}
