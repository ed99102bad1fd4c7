import { z } from 'zod';

export type FieldError = { path: string; message: string };

/**
 * A failure a client can act on. Rendered once, by the error handler, as
 * application/problem+json (RFC 9457) with a stable `code`.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(message);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export const titleFor = (status: number) => TITLES[status] ?? 'Error';
export const problemType = (code: string) => `/problems/${code.toLowerCase().replace(/_/g, '-')}`;

export const Errors = {
  validation: (detail: string, errors: FieldError[] = []) =>
    new AppError(400, 'VALIDATION_FAILED', detail, { errors }),
  badRequest: (code: string, detail: string) => new AppError(400, code, detail),
  unauthorized: (code = 'UNAUTHORIZED', detail = 'Sign in to continue.') => new AppError(401, code, detail),
  forbidden: (code = 'FORBIDDEN', detail = 'You are not allowed to do this.') =>
    new AppError(403, code, detail),
  notFound: (resource: string, id?: string) =>
    new AppError(404, 'NOT_FOUND', id ? `${resource} ${id} was not found.` : `${resource} was not found.`),
  conflict: (code: string, detail: string) => new AppError(409, code, detail),
  tooMany: (code: string, detail: string, retryAfterSeconds: number) =>
    new AppError(429, code, detail, {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    }),
  upstream: (code: string, detail: string) => new AppError(502, code, detail),
};

/** OpenAPI description of a problem reply, for route `response` maps. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .loose()
  .describe('RFC 9457 problem details');
