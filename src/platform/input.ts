import type { FastifyInstance, FastifyRequest } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Errors, type FieldError } from './errors.js';

/**
 * zod validation, except that a request without a body (Fastify validates it as null) reads as a body
 * left out, so an optional body (`{reason?}` with a default) may be omitted.
 */
export const bodyTolerantValidator: typeof validatorCompiler = (route) => {
  const validate = validatorCompiler(route);
  return route.httpPart === 'body' ? (data) => validate(data === null ? undefined : data) : validate;
};

/** Paths (`body.fullName`, `query.reason`) of every string holding a NUL (U+0000), which PostgreSQL cannot store. */
export function nulBytePaths(value: unknown, path: string, out: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push(path);
  } else if (value && typeof value === 'object' && depth < 64 && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) out.push(`${path}.${k.replaceAll('\u0000', '\\u0000')}`);
      nulBytePaths(v, `${path}.${k}`, out, depth + 1);
    }
  }
  return out;
}

/**
 * Input the routes never see: a NUL byte anywhere in a text field is a 400 naming the field (the
 * database would refuse it with a 500); `text/plain` bodies are a 415 like any other unknown media
 * type; an empty JSON body reads as no body, so `{reason?}` bodies may be left out.
 */
export function installInputGuards(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    return parseJson(req, body as string, done);
  });
  // Callback form: an async hook costs a promise and a microtask turn on every request.
  app.addHook('preValidation', (req: FastifyRequest, _reply, done) => {
    const errors: FieldError[] = [];
    for (const [part, value] of [
      ['body', req.body],
      ['query', req.query],
      ['params', req.params],
    ] as const)
      for (const path of nulBytePaths(value, part))
        errors.push({ path, message: 'must not contain NUL (U+0000)' });
    if (!errors.length) return done();
    done(
      Errors.validation(
        `The request contains a NUL character in ${errors.map((e) => e.path).join(', ')}.`,
        errors,
      ),
    );
  });
}

/** Years a request may name: anything outside is a typo or a probe, and overflows date arithmetic. */
export const YEAR_RANGE = { min: 1900, max: 2199 } as const;
const inYears = (ms: number) => {
  const y = new Date(ms).getUTCFullYear();
  return Number.isFinite(ms) && y >= YEAR_RANGE.min && y <= YEAR_RANGE.max;
};
const yearsMessage = `must be between the years ${YEAR_RANGE.min} and ${YEAR_RANGE.max}`;

/** An ISO 8601 instant with offset, within YEAR_RANGE. */
export const boundedInstant = () =>
  z.iso.datetime({ offset: true }).refine((v) => inYears(Date.parse(v)), yearsMessage);

/** A calendar date YYYY-MM-DD, within YEAR_RANGE. */
export const boundedDate = () =>
  z.iso
    .date('must be a calendar date, YYYY-MM-DD')
    .refine((v) => inYears(Date.parse(`${v}T12:00:00Z`)), yearsMessage);
