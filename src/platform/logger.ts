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

export function loggerOptions(level: string, pretty = false): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: {
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
