import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './db/unavailable.js';
import { AppError, type FieldError, problemType, titleFor } from './errors.js';
import { redactedError } from './logger.js';

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [k: string]: unknown;
};

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  FST_ERR_BAD_URL: 'BAD_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

function toProblem(err: FastifyError | AppError | Error, isProduction: boolean): Problem {
  if (err instanceof AppError) {
    const { headers: _h, errors, ...rest } = err.extra;
    return {
      type: problemType(err.code),
      title: titleFor(err.status),
      status: err.status,
      detail: err.message,
      code: err.code,
      ...(errors ? { errors } : {}),
      ...rest,
    };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      path: [err.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'is invalid',
    }));
    return {
      type: problemType('VALIDATION_FAILED'),
      title: titleFor(400),
      status: 400,
      detail: `The request ${err.validationContext ?? 'input'} is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
      code: 'VALIDATION_FAILED',
      errors,
    };
  }
  const fe = err as FastifyError;
  const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (status < 500) {
    const code = (fe.code && FASTIFY_CODES[fe.code]) ?? (status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST');
    return { type: problemType(code), title: titleFor(status), status, detail: fe.message, code };
  }
  // Outside production the reply shows the error, but never a failed query's values.
  const safe = isProduction ? undefined : redactedError(err);
  return {
    type: problemType('INTERNAL_ERROR'),
    title: titleFor(500),
    status: 500,
    detail: safe?.message ?? 'Something went wrong on our side. Quote the request id when reporting it.',
    code: 'INTERNAL_ERROR',
    ...(safe ? { stack: safe.stack } : {}),
  };
}

/** While PostgreSQL is unreachable: 503 with Retry-After (not 500); the pools reconnect by themselves. */
function replyIfDatabaseUnavailable(err: Error, req: FastifyRequest, reply: FastifyReply): boolean {
  if (err instanceof AppError || !isDatabaseUnavailable(err)) return false;
  req.log.warn({ code: (err as { code?: unknown }).code }, 'database unavailable');
  reply
    .status(503)
    .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
    .type('application/problem+json')
    .send({
      type: problemType('DATABASE_UNAVAILABLE'),
      title: titleFor(503),
      status: 503,
      detail: 'The database is unavailable for a moment. Try again shortly.',
      code: 'DATABASE_UNAVAILABLE',
      instance: req.url.split('?')[0],
      requestId: req.id,
    });
  return true;
}

/** The one place errors become HTTP replies: application/problem+json (RFC 9457) with a stable code. */
export function installProblemHandlers(
  app: FastifyInstance,
  isProduction: boolean,
  opts: { spaIndexFile?: string } = {},
): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (replyIfDatabaseUnavailable(err, req, reply)) return;
    const problem = toProblem(err, isProduction);
    problem.instance = req.url.split('?')[0];
    problem.requestId = req.id;
    // The logger's error serializer drops query values (logger.ts), so the error is logged whole.
    if (problem.status >= 500) req.log.error({ err }, 'unhandled error');
    if (err instanceof AppError && err.extra.headers) reply.headers(err.extra.headers);
    reply.status(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((req, reply) => {
    // The web app routes on the client: a browser asking for one of its pages gets index.html.
    if (
      opts.spaIndexFile &&
      req.method === 'GET' &&
      req.headers.accept?.includes('text/html') &&
      !req.url.startsWith('/api/')
    ) {
      return reply.type('text/html').sendFile(opts.spaIndexFile);
    }
    reply
      .status(404)
      .type('application/problem+json')
      .send({
        type: problemType('ROUTE_NOT_FOUND'),
        title: titleFor(404),
        status: 404,
        detail: `No route ${req.method} ${req.url.split('?')[0]}.`,
        code: 'ROUTE_NOT_FOUND',
        instance: req.url.split('?')[0],
        requestId: req.id,
      });
  });
}

/**
 * Errors Fastify answers before routing (a bad URL encoding: 400; a path parameter over its limit:
 * 414), as problem+json like every other error. Passed as the `frameworkErrors` server option.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const code = (err.code && FASTIFY_CODES[err.code]) ?? 'BAD_REQUEST';
  const path = (req.raw.url ?? '/').split('?')[0];
  reply
    .status(status)
    .type('application/problem+json')
    .send({
      type: problemType(code),
      title: titleFor(status),
      status,
      detail:
        status === 414
          ? 'A path parameter is longer than the server accepts.'
          : 'The URL is not validly encoded.',
      code,
      instance: path,
      requestId: req.id,
    });
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers over the size limit: 431,
 * a timeout: 408, anything else: 400), written straight to the socket as problem+json.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive.']
        : [400, 'BAD_REQUEST', 'The request could not be read as HTTP.'];
  const body = JSON.stringify({ type: problemType(code), title: titleFor(status), status, detail, code });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${titleFor(status)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/problem+json\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}
