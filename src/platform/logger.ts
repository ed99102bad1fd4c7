import type { LoggerOptions } from 'pino';

/**
 * Keys whose values never reach a log line: contact details, credentials and clinical text.
 * Matched at the top level and one or two levels down (request bodies, job payloads).
 */
const SENSITIVE_KEYS = [
  'phone',
  'to',
  'email',
  'otp',
  'token',
  'accessToken',
  'refreshToken',
  'password',
  'secret',
  'signature',
  'authorization',
  'cookie',
  'symptoms',
  'description',
  'diagnosis',
  'notes',
  'chiefComplaint',
  'body',
];

export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-razorpay-signature"]',
  'req.headers["stripe-signature"]',
  ...SENSITIVE_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

/** Properties of an error that carry the values of a query: bound parameters and pg's key/row details. */
const VALUE_KEYS = new Set(['params', 'parameters', 'values', 'detail']);
const MAX_CAUSE_DEPTH = 5;

type ErrorLike = { message: string; name?: string; stack?: unknown; code?: unknown; [k: string]: unknown };
const isErrorLike = (v: unknown): v is ErrorLike =>
  typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string';

/**
 * The message without values: Drizzle's "Failed query: <sql>\nparams: <values>" loses its params part,
 * and PostgreSQL's data errors (SQLSTATE class 22, e.g. `invalid input syntax for type uuid: "..."`)
 * lose the quoted input. The query text and the SQLSTATE stay, which is what debugging needs.
 */
export function safeErrorMessage(err: unknown): string {
  if (!isErrorLike(err)) return String(err);
  let message = err.message.replace(/\n\s*params:[\s\S]*$/, '');
  if (typeof err.code === 'string' && err.code.startsWith('22'))
    message = message.replace(/"(?:[^"]|"")*"/g, '"[redacted]"');
  return message;
}

/** The stack with its header (which repeats the message) rebuilt from the safe message. */
function safeStack(err: ErrorLike, message: string): string | undefined {
  if (typeof err.stack !== 'string') return undefined;
  const frames = err.stack.search(/\n\s+at /);
  return `${err.name ?? 'Error'}: ${message}${frames === -1 ? '' : err.stack.slice(frames)}`;
}

/**
 * pino's `err` serializer: the type, safe message and stack, the cause chain, and every other own
 * property except those that hold query values. Key-based redaction cannot reach these, because the
 * values sit inside the message string.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!isErrorLike(err)) return err;
  const message = safeErrorMessage(err);
  const out: Record<string, unknown> = {
    type: (err as { constructor?: { name?: string } }).constructor?.name ?? err.name,
    message,
    stack: safeStack(err, message),
  };
  for (const [key, value] of Object.entries(err)) {
    if (VALUE_KEYS.has(key) || key in out || key === 'cause' || key === 'errors') continue;
    if (key === 'where' && typeof value === 'string') {
      // With log_parameter_max_length_on_error set, the context lists "portal parameter $1 = '...'".
      out.where = value.replace(/parameter \$\d+ = '(?:[^']|'')*'/g, 'parameter [redacted]');
    } else if (isErrorLike(value)) out[key] = serializeError(value, depth + 1);
    // Objects hanging off errors (a pg client, a socket) are state, not diagnosis: primitives only.
    else if (value === null || typeof value !== 'object') out[key] = value;
  }
  if (Array.isArray(err.errors) && depth < MAX_CAUSE_DEPTH)
    out.errors = err.errors.map((e) => serializeError(e, depth + 1));
  if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** An Error to hand to code that stores errors (pg-boss keeps a failed job's error in its row). */
export function redactedError(err: unknown): Error {
  const safe = new Error(safeErrorMessage(err));
  if (isErrorLike(err)) {
    safe.name = err.name ?? 'Error';
    safe.stack = safeStack(err, safe.message);
    // Keep the SQLSTATE (Drizzle holds it on `cause`), drop everything else the chain carries.
    for (let e: unknown = err, i = 0; isErrorLike(e) && i < MAX_CAUSE_DEPTH; e = e.cause, i++)
      if (typeof e.code === 'string') {
        Object.assign(safe, { code: e.code });
        break;
      }
  }
  return safe;
}

export function loggerOptions(level: string, pretty = false): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: {
      err: (err: unknown) => serializeError(err),
      // The query string can carry a phone number (/dev/inbox?to=...), so only the path is logged.
      req: (req: { method: string; url: string; id: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } } : {}),
  };
}
