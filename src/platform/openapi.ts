import type { FastifyInstance, RouteOptions } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { guardRoles } from './auth.js';
import { problemSchema } from './errors.js';
import { moneySchema } from './money.js';

/**
 * The OpenAPI document is built from the routes' zod schemas, then finished here in one place so
 * every operation follows the conventions of api.md without each route repeating them: an
 * operationId and a tag, `security: []` on public operations, every status the platform itself can
 * answer (400, 401, 403, 404, 413, 415, 429), errors as application/problem+json pointing at the
 * shared `Problem` component, and the stable error codes listed in the description.
 */

/** Schemas registered here become shared components (`#/components/schemas/<id>`) instead of inlined copies. */
export const componentRegistry = z.registry<{ id: string }>();

/** Registers `schema` as the shared component `id`; returns the same schema. */
export function component<T extends z.ZodType>(id: string, schema: T): T {
  if (!componentRegistry.has(schema)) componentRegistry.add(schema, { id });
  return schema;
}

component('Problem', problemSchema);
component('Money', moneySchema);

declare module 'fastify' {
  interface FastifySchema {
    /** Stable error codes this operation can answer, by status, for its description (and declared statuses). */
    errorCodes?: Record<number, string[]>;
    /** Replies that are not JSON (HTML pages, redirects, event streams), as OpenAPI response objects. */
    rawResponses?: Record<number, OpenApiResponse>;
  }
}

export type OpenApiResponse = {
  description: string;
  content?: Record<string, { schema: Record<string, unknown> }>;
  headers?: Record<string, { description?: string; schema: Record<string, unknown> }>;
};

/** What the finishing step needs to know about a route beyond its schema. */
type RouteFacts = {
  roles: readonly string[] | null;
  rateLimited: boolean;
  hasBody: boolean;
  hasParams: boolean;
  hasQuery: boolean;
  errorCodes: Record<number, string[]>;
  rawResponses: Record<number, OpenApiResponse>;
  idempotent: boolean;
};

/** Codes the platform answers on any route, by status (route-specific codes come from `errorCodes`). */
const PLATFORM_CODES: Record<number, string[]> = {
  400: ['VALIDATION_FAILED', 'MALFORMED_JSON', 'BAD_REQUEST'],
  401: ['UNAUTHORIZED', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'SESSION_REVOKED'],
  403: ['FORBIDDEN'],
  404: ['NOT_FOUND'],
  413: ['PAYLOAD_TOO_LARGE'],
  414: ['URI_TOO_LONG'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  429: ['RATE_LIMITED'],
  503: ['DATABASE_UNAVAILABLE'],
};

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  303: 'See Other',
  400: 'The request is invalid (see `errors` for the fields)',
  401: 'Not signed in, or the access token is invalid or expired',
  402: 'Payment required',
  403: 'Signed in, but not allowed to do this',
  404: 'Not found (or not visible to the caller)',
  409: 'Conflicts with the current state',
  410: 'Gone',
  413: 'The body is larger than the server accepts',
  414: 'A path parameter is longer than the server accepts',
  415: 'The body is not application/json',
  422: 'Unprocessable',
  429: 'Too many requests; `Retry-After` says when to retry',
  500: 'Not recorded because of a failure on our side; the gateway delivers the event again',
  502: 'A payment gateway or provider failed',
  503: 'Temporarily unavailable (the database is unreachable); retry later',
};

const html = (description: string): OpenApiResponse => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});
const seeOther: OpenApiResponse = {
  description: 'The outcome is recorded; the browser goes on to the return page',
  headers: { Location: { description: 'The return page', schema: { type: 'string' } } },
};

/**
 * Replies that are not JSON, for routes owned elsewhere whose schema cannot say so (a zod response
 * schema would be used to serialize them). Keyed by `METHOD /openapi/{path}`.
 */
const RAW_RESPONSES: Record<string, Record<number, OpenApiResponse>> = {
  'GET /api/notifications/stream': {
    200: {
      description:
        'Server-Sent Events: `event: ready`, then `event: notification` with a notification as `data`, and a comment every 25 s',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
  },
  'GET /sandbox/checkout/{id}': { 200: html('The checkout page with Pay and Fail buttons') },
  'POST /sandbox/checkout/{id}/pay': { 303: seeOther },
  'POST /sandbox/checkout/{id}/fail': { 303: seeOther },
  'GET /sandbox/checkout/{id}/done': { 200: html('The return page, linking back to the web app') },
};

const SESSION_409 = { 409: ['INVALID_SESSION_STATE'] };

/**
 * Error codes of routes owned elsewhere whose schema does not list them (`schema.errorCodes` is the
 * way), read from what their services throw. A declared status with no code at all is not answered
 * and is left out of the document (see `finishOperation`).
 */
const EXTRA_CODES: Record<string, Record<number, string[]>> = {
  'POST /sandbox/checkout/{id}/pay': { 409: ['CHECKOUT_CLOSED'] },
  'POST /sandbox/checkout/{id}/fail': { 409: ['CHECKOUT_CLOSED'] },
  'POST /api/auth/totp/enrol': { 409: ['TOTP_ALREADY_ENROLLED'] },
  'POST /api/auth/totp/confirm': { 409: ['TOTP_NOT_ENROLLED', 'TOTP_ALREADY_ENROLLED'] },
  'POST /api/patients': { 409: ['PHONE_IN_USE'] },
  'POST /api/admin/users': { 409: ['PHONE_IN_USE'] },
  'PATCH /api/admin/users/{id}': { 409: ['CANNOT_DEACTIVATE_SELF'] },
  'POST /api/payment/create-order': { 409: ['PAYMENT_PROVIDER_MISMATCH', 'PAYMENT_NOT_OPEN'] },
  'POST /api/admin/payments/{id}/refunds': { 409: ['PAYMENT_NOT_REFUNDABLE', 'REFUND_EXCEEDS_PAYMENT'] },
  'POST /api/booking/initiate': { 409: ['SLOT_UNAVAILABLE', 'TOO_MANY_HOLDS', 'TOO_MANY_HOLDS_TODAY'] },
  'POST /api/booking/confirm': { 409: ['PAYMENT_NOT_CONFIRMED', 'INVALID_APPOINTMENT_STATE'] },
  'POST /api/patient-dashboard/appointments/{id}/cancel': {
    409: ['CANCELLATION_WINDOW_CLOSED', 'INVALID_APPOINTMENT_STATE'],
  },
  'POST /api/appointments/{id}/reschedule': {
    409: ['CANCELLATION_WINDOW_CLOSED', 'INVALID_APPOINTMENT_STATE', 'SLOT_UNAVAILABLE'],
  },
  'POST /api/appointments/{id}/complete': { 409: ['APPOINTMENT_NOT_STARTED', 'INVALID_APPOINTMENT_STATE'] },
  'POST /api/appointments/{id}/no-show': { 409: ['APPOINTMENT_NOT_STARTED', 'INVALID_APPOINTMENT_STATE'] },
  'POST /api/admin/appointments/{id}/clinician-no-show': {
    409: ['APPOINTMENT_NOT_STARTED', 'INVALID_APPOINTMENT_STATE'],
  },
  'POST /api/sessions/text': {
    402: ['INSUFFICIENT_CREDITS'],
    409: ['APPOINTMENT_NOT_CONFIRMED', 'CONSULTATION_NOT_ASSIGNED', 'INVALID_SESSION_STATE'],
  },
  'POST /api/sessions/call': {
    402: ['INSUFFICIENT_CREDITS'],
    409: ['APPOINTMENT_NOT_CONFIRMED', 'CONSULTATION_NOT_ASSIGNED', 'INVALID_SESSION_STATE'],
  },
  'POST /api/sessions/text/{id}/activate': SESSION_409,
  'POST /api/sessions/text/{id}/end': SESSION_409,
  'POST /api/sessions/text/{id}/messages': SESSION_409,
  'POST /api/sessions/call/{id}/connect': { 409: ['INVALID_SESSION_STATE', 'CALL_MISSED'] },
  'POST /api/sessions/call/{id}/hangup': SESSION_409,
  'POST /api/sessions/call/{id}/reject': SESSION_409,
  'POST /api/admin/services': { 409: ['SERVICE_CODE_TAKEN'] },
  'POST /api/consultations/select-consultation': {
    409: ['EMERGENCY_SERVICES_REQUIRED', 'PAYMENT_ALREADY_CONFIRMED', 'CONSULTATION_TYPE_UNAVAILABLE'],
    410: ['TRIAGE_SESSION_EXPIRED'],
  },
  'POST /api/consultations/confirm-payment': { 409: ['PAYMENT_NOT_CONFIRMED', 'PAYMENT_ALREADY_CONFIRMED'] },
  'POST /api/consultations/symptoms/collect_detailed_symptoms': {
    400: ['PAYMENT_NOT_CONFIRMED'],
    409: ['CLINICAL_SESSION_USED'],
    410: ['CLINICAL_SESSION_EXPIRED'],
  },
  'POST /api/consultations/{id}/claim': { 409: ['ALREADY_ASSIGNED', 'INVALID_TRANSITION'] },
  'POST /api/consultations/{id}/assign': { 409: ['ALREADY_ASSIGNED', 'INVALID_TRANSITION'] },
  'POST /api/consultations/{id}/activate': {
    409: ['PAYMENT_NOT_CLEARED', 'DOCTOR_NOT_ASSIGNED', 'INVALID_TRANSITION'],
  },
  'POST /api/consultations/{id}/close': { 409: ['DOCTOR_NOT_ASSIGNED', 'INVALID_TRANSITION'] },
  'PUT /api/consultations/{id}/notes': { 409: ['CONSULTATION_NOT_ACTIVE'] },
  'POST /api/visits/{id}/payments': { 409: ['VISIT_CLOSED', 'VISIT_ALREADY_PAID'] },
  'POST /api/visits/{id}/close': { 409: ['VISIT_UNPAID'] },
};

/** Operations that never touch the database. */
const NO_DATABASE = new Set(['GET /healthz', 'GET /metrics', 'GET /openapi.json']);

const openapiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
const key = (method: string, url: string) => `${method.toUpperCase()} ${openapiPath(url)}`;

/** Collects route facts and moves auth guards before validation (401 before 400). Install before any route. */
export function routeConventions(app: FastifyInstance): Map<string, RouteFacts> {
  const facts = new Map<string, RouteFacts>();
  app.addHook('onRoute', (route: RouteOptions) => {
    const roles = hoistGuard(route);
    const schema = route.schema ?? {};
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const config = route.config as { rateLimit?: unknown; idempotent?: boolean } | undefined;
    for (const method of methods)
      facts.set(key(method, route.url), {
        roles,
        rateLimited: config?.rateLimit !== false,
        hasBody: Boolean(schema.body) || (method !== 'GET' && method !== 'DELETE' && method !== 'HEAD'),
        hasParams: Boolean(schema.params),
        hasQuery: Boolean(schema.querystring),
        errorCodes: { ...EXTRA_CODES[key(method, route.url)], ...schema.errorCodes },
        rawResponses: { ...RAW_RESPONSES[key(method, route.url)], ...schema.rawResponses },
        idempotent: config?.idempotent === true,
      });
  });
  return facts;
}

/**
 * An auth guard given as a preHandler runs after validation, so an anonymous request with a bad
 * body would learn the field list. Guards are moved to the front of onRequest: authenticate first.
 * Returns the guard's roles (empty: any signed-in user), or null for a public route.
 */
function hoistGuard(route: RouteOptions): readonly string[] | null {
  type Hook = (...a: never[]) => unknown;
  const list = (h: unknown): Hook[] => (h ? (Array.isArray(h) ? h : [h as Hook]) : []);
  const pre = list(route.preHandler);
  const onRequest = list(route.onRequest);
  const guards = [...pre, ...onRequest].filter((h) => guardRoles(h) !== undefined);
  if (guards.length === 0) return null;
  const movedFromPre = pre.filter((h) => guardRoles(h) !== undefined);
  if (movedFromPre.length) {
    route.preHandler = pre.filter((h) => guardRoles(h) === undefined) as RouteOptions['preHandler'];
    route.onRequest = [...movedFromPre, ...onRequest] as RouteOptions['onRequest'];
  }
  return guards.flatMap((g) => guardRoles(g) ?? []);
}

/** The per-route transform (zod -> JSON Schema, shared components referenced by $ref). */
export const routeTransform = createJsonSchemaTransform({ schemaRegistry: componentRegistry });
const documentTransform = createJsonSchemaTransformObject({ schemaRegistry: componentRegistry });

type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, OpenApiResponse>;
};
type Doc = {
  info: Record<string, unknown>;
  tags?: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
};

const TAG_TEXT: Record<string, string> = {
  'patient-auth': 'Patients sign in with a one-time code',
  auth: 'Clinicians, staff and admins sign in with a one-time code; the signed-in user',
  'patient-dashboard': "The signed-in patient's profile",
  patients: 'Patient records for the front desk',
  admin: 'Administration',
  catalog: 'Centres, clinicians, plans',
  scheduling: 'Availability, time off and slots',
  booking: 'Appointments: hold, pay, confirm, cancel, reschedule',
  payments: 'Checkout, verification, webhooks, refunds, reconciliation',
  sandbox: 'The built-in sandbox gateway (development and tests)',
  notifications: 'In-app notifications and their live stream',
  development: 'Development helpers (not in production)',
  operations: 'Health, readiness, metrics and this document',
};

const camel = (words: string[]) =>
  words
    .filter(Boolean)
    .map((w, i) => {
      const clean = w.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) =>
        c ? c.toUpperCase() : '',
      );
      return i === 0 ? clean : clean.charAt(0).toUpperCase() + clean.slice(1);
    })
    .join('');

/** `POST /api/booking/initiate` -> `postBookingInitiate`; `{id}` -> `ById`. */
export function operationIdFor(method: string, path: string): string {
  const parts = path
    .split('/')
    .filter((p) => p && p !== 'api')
    .map((p) => (p.startsWith('{') ? `by-${p.slice(1, -1)}` : p));
  return camel([method.toLowerCase(), ...parts]);
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (status: number): OpenApiResponse => ({
  description: STATUS_TEXT[status] ?? 'Error',
  content: { 'application/problem+json': { schema: problemRef } },
});

function finishOperation(method: string, path: string, op: Operation, facts: RouteFacts | undefined) {
  op.operationId ??= operationIdFor(method, path);
  if (!op.tags?.length) op.tags = [path.startsWith('/api/') ? (path.split('/')[2] ?? 'api') : 'operations'];
  const isProtected = (facts ? facts.roles !== null : false) || Boolean(op.security?.length);
  if (isProtected) op.security ??= [{ bearer: [] }];
  else op.security = [];

  if (facts?.idempotent) declareIdempotency(op, facts);
  const statuses = new Set(Object.keys(op.responses ?? {}).map(Number));
  const add = (s: number, when: boolean) => {
    if (when) statuses.add(s);
  };
  const hasInput = Boolean(facts?.hasBody || facts?.hasParams || facts?.hasQuery || op.parameters?.length);
  add(400, hasInput);
  add(401, isProtected);
  add(403, isProtected && (facts?.roles?.length ?? 0) > 0);
  add(404, Boolean(facts?.hasParams));
  add(414, Boolean(facts?.hasParams));
  add(413, Boolean(facts?.hasBody));
  add(415, Boolean(facts?.hasBody || op.requestBody));
  add(429, facts?.rateLimited ?? true);
  // Any operation that reads the database answers 503 while it is unreachable.
  add(503, !NO_DATABASE.has(`${method.toUpperCase()} ${path}`));
  // A gateway webhook we could not record answers 500, so that the gateway delivers it again.
  add(500, path.startsWith('/api/payment/webhook'));
  for (const s of Object.keys(facts?.errorCodes ?? {})) statuses.add(Number(s));

  const responses: Record<string, OpenApiResponse> = {};
  for (const s of [...statuses].sort((a, b) => a - b)) {
    const raw = facts?.rawResponses[s];
    if (raw) responses[s] = raw;
    else if (s >= 400) responses[s] = problemResponse(s);
    else {
      const r = op.responses[s] ?? { description: '' };
      if (!r.description || r.description === 'Default Response') r.description = STATUS_TEXT[s] ?? 'OK';
      responses[s] = r;
    }
  }
  // A raw reply next to a JSON one for the same status (an HTML page when a parameter is left out): both media types.
  for (const [s, raw] of Object.entries(facts?.rawResponses ?? {})) {
    const json = op.responses[s]?.content;
    responses[s] = json && raw.content ? { ...raw, content: { ...json, ...raw.content } } : raw;
  }
  // A page that redirects has no 200 of its own.
  if (responses[303] && responses[200] && !facts?.rawResponses[200]) delete responses[200];
  const codesOf = (s: number) => [
    ...new Set([...(facts?.errorCodes[s] ?? []), ...(PLATFORM_CODES[s] ?? [])]),
  ];
  // A client error no code is known for is one the operation does not answer (a shared `problems`
  // map declared it): left out, so every declared 4xx names its codes.
  for (const s of Object.keys(responses).map(Number))
    if (s >= 400 && s < 500 && codesOf(s).length === 0) delete responses[s];
  op.responses = responses;

  const codes = [...Object.keys(responses)]
    .map(Number)
    .filter((s) => s >= 400)
    .map((s) => {
      const all = codesOf(s);
      return all.length ? `- ${s}: ${all.map((c) => `\`${c}\``).join(', ')}` : `- ${s}`;
    });
  op.summary = plain(op.summary);
  const base = plain(op.description) ?? op.summary ?? op.operationId;
  op.description = `${base}\n\nError codes (the problem's \`code\`):\n${codes.join('\n')}`;
}

/**
 * Words from the project's history that mean nothing to a reader of /docs: requirement documents
 * named by number ("seed 004") and the plan code `vise` without its meaning.
 */
const PLAIN_WORDS: Array<[RegExp, string]> = [
  [/\s*\(seed \d{3} path\)/g, ' (legacy path, kept for existing clients)'],
  [/\s*\(seeds? \d{3}(, \d{3})*\)/g, ''],
  [/\bseed \d{3}'s\b/g, 'the original'],
  [/\bunder a vise plan\b/g, 'under the Vise plan, with a clinician the patient already sees'],
];
const plain = (text: string | undefined) =>
  text === undefined ? undefined : PLAIN_WORDS.reduce((t, [re, to]) => t.replace(re, to), text);

/** The Idempotency-Key header and what it can answer (platform/idempotency.ts). */
function declareIdempotency(op: Operation, facts: RouteFacts) {
  op.parameters = [
    ...(op.parameters ?? []),
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Up to 255 visible ASCII characters, unique per operation you mean (a UUID). The same key with the same body returns the first reply (`Idempotent-Replayed: true`); with another body, 409 `IDEMPOTENCY_KEY_REUSED`. Kept 24 hours.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    },
  ];
  const add = (status: number, ...codes: string[]) => {
    facts.errorCodes[status] = [...new Set([...(facts.errorCodes[status] ?? []), ...codes])];
  };
  add(400, 'IDEMPOTENCY_KEY_INVALID');
  add(409, 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_IN_USE');
}

/** Keeps only the components something refers to (generated input/output twins included). */
function pruneComponents(doc: Doc) {
  const schemas = doc.components.schemas ?? {};
  const used = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        const name = v.slice('#/components/schemas/'.length);
        if (!used.has(name)) {
          used.add(name);
          visit(schemas[name]);
        }
      } else visit(v);
    }
  };
  visit(doc.paths);
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
}

/** The whole-document transform: components, then each operation finished by the conventions above. */
export function documentFinisher(facts: Map<string, RouteFacts>, info: { license: string }) {
  return (input: Parameters<typeof documentTransform>[0]) => {
    const doc = documentTransform(input) as unknown as Doc;
    doc.info.license = { name: info.license, identifier: info.license };
    doc.info.contact ??= { name: 'Carebook maintainers', url: 'https://github.com/carebook' };
    const tags = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        finishOperation(method, path, op, facts.get(`${method.toUpperCase()} ${path}`));
        for (const t of op.tags ?? []) tags.add(t);
      }
    doc.tags = [...tags].sort().map((name) => ({ name, description: TAG_TEXT[name] ?? name }));
    pruneComponents(doc);
    return doc as never;
  };
}
