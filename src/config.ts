import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { secretProblem } from './config.secrets.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalUrl = z.url().optional();
const secret = z.string().min(32, 'must be at least 32 characters').optional();
const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** proxy-addr's named ranges, accepted in TRUST_PROXY next to addresses and CIDRs. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isAddressOrCidr = (entry: string) => {
  if (PROXY_RANGES.has(entry) || net.isIP(entry)) return true;
  const [addr, bits, ...rest] = entry.split('/');
  if (rest.length || !addr || !bits || !/^\d{1,3}$/.test(bits)) return false;
  const family = net.isIP(addr);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
};

/**
 * Which hops may set X-Forwarded-For: nothing (default), a number of proxies in front of Carebook, or
 * their addresses. `true` (every hop) is refused: any client could then pick the IP that rate limits key on.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): false | number | string[] => {
    if (v === '' || v === 'false' || v === '0') return false;
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops <= 10) return hops;
    }
    const entries = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = entries.filter((e) => !isAddressOrCidr(e));
    if (v === 'true' || bad.length || entries.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message:
          v === 'true'
            ? 'trusting every hop lets any client choose its IP; give the number of proxies in front of Carebook (1-10) or their addresses/CIDRs'
            : `expected a number of proxies (0-10) or comma-separated addresses/CIDRs, not ${bad.join(', ') || v}`,
      });
      return z.NEVER;
    }
    return entries;
  });

/** Every environment variable Carebook reads. `.env.example` documents each one. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  // Loopback unless told otherwise: the development inbox must not be readable from the network.
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: optionalUrl,
  DATABASE_URL: optionalUrl,
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_DB_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  JOB_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(50),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: csv.default([]),
  TRUST_PROXY: trustProxy.default(false),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1000),
  WEBHOOK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  METRICS_TOKEN: secret,
  SEED_DEMO_DATA: bool.optional(),

  JWT_SECRET: secret,
  OTP_SECRET: secret,
  OTP_PHONE_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(5),
  OTP_IP_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(30),
  TOTP_ENCRYPTION_KEY: secret,
  DEFAULT_REGION: z.string().length(2).toUpperCase().default('IN'),
  DEFAULT_CURRENCY: z.string().length(3).toUpperCase().default('INR'),

  HOLD_MINUTES: z.coerce.number().int().min(1).max(120).default(15),
  BOOKING_HORIZON_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  CANCELLATION_WINDOW_HOURS: z.coerce.number().int().min(0).default(24),
  REMINDER_HOURS_BEFORE: z.coerce.number().int().min(1).default(24),
  NO_SHOW_AFTER_MINUTES: z.coerce.number().int().min(0).default(60),
  REQUIRE_PLAN_FOR_BOOKING: bool.default(false),

  SESSION_BLOCK_MINUTES: z.coerce.number().int().min(1).max(240).default(10),
  PLATFORM_FEE_PERCENT: z.coerce.number().int().min(0).max(100).default(20),
  CALL_RING_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  NO_SHOW_POLICY: z.enum(['refund', 'keep_fee']).default('keep_fee'),
  CALL_PROVIDER_WEBHOOK_SECRET: secret,

  PAYMENT_PROVIDER: z.enum(['sandbox', 'stripe', 'razorpay']).optional(),
  ALLOW_SANDBOX_PAYMENTS: bool.default(false),
  SANDBOX_WEBHOOK_SECRET: secret,
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  STRIPE_API_URL: optionalUrl,
  RAZORPAY_KEY_ID: z.string().optional(),
  RAZORPAY_KEY_SECRET: z.string().optional(),
  RAZORPAY_WEBHOOK_SECRET: z.string().optional(),
  RAZORPAY_API_URL: optionalUrl,

  GALLABOX_API_KEY: z.string().optional(),
  GALLABOX_API_SECRET: z.string().optional(),
  GALLABOX_CHANNEL_ID: z.string().optional(),
  GALLABOX_API_URL: z.url().default('https://server.gallabox.com'),
  TWILIO_ACCOUNT_SID: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM: z.string().optional(),
  TWILIO_API_URL: z.url().default('https://api.twilio.com'),
  SMTP_URL: z.string().optional(),
  EMAIL_FROM: z.string().default('Carebook <no-reply@carebook.local>'),

  VIDEO_PROVIDER: z.enum(['jitsi', 'google_meet']).default('jitsi'),
  JITSI_BASE_URL: z.url().default('https://meet.jit.si'),
  GOOGLE_SERVICE_ACCOUNT_EMAIL: z.string().optional(),
  GOOGLE_PRIVATE_KEY: z.string().optional(),
  GOOGLE_CALENDAR_ID: z.string().default('primary'),
  GOOGLE_IMPERSONATE_SUBJECT: z.string().optional(),
  GOOGLE_CALENDAR_API_URL: z.url().default('https://www.googleapis.com/calendar/v3'),
  GOOGLE_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),

  LLM_BASE_URL: optionalUrl,
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(8000),
  CLINICAL_SESSION_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(120),
  CLINIC_TIME_ZONE: z
    .string()
    .default('Asia/Kolkata')
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone'),
});

export type Env = z.input<typeof envSchema>;
type ParsedEnv = z.output<typeof envSchema>;

const GENERATED_SECRETS = [
  'JWT_SECRET',
  'OTP_SECRET',
  'SANDBOX_WEBHOOK_SECRET',
  'TOTP_ENCRYPTION_KEY',
] as const;
const REQUIRED_IN_PRODUCTION = ['JWT_SECRET', 'OTP_SECRET', 'PUBLIC_URL', 'DATABASE_URL'] as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Development keeps generated secrets under DATA_DIR so tokens survive restarts;
 * production never invents a secret.
 */
function withDevelopmentSecrets(env: ParsedEnv): ParsedEnv {
  if (env.NODE_ENV === 'production') return env;
  const missing = GENERATED_SECRETS.filter((k) => !env[k]);
  if (missing.length === 0) return env;
  const file = path.resolve(env.DATA_DIR, 'secrets.json');
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  let changed = false;
  for (const key of missing) {
    if (!stored[key]) {
      stored[key] = randomBytes(32).toString('hex');
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const filled = { ...env };
  for (const key of missing) filled[key] = stored[key];
  return filled;
}

export function loadConfig(source: Record<string, string | undefined>) {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = withDevelopmentSecrets(parsed.data);
  if (env.NODE_ENV === 'production') {
    const missing = REQUIRED_IN_PRODUCTION.filter((k) => !env[k]);
    if (missing.length)
      throw new ConfigError(`Missing required setting(s) in production: ${missing.join(', ')}`);
    checkProductionSecrets(env);
    checkProductionMessaging(env);
    checkProductionPayments(env);
  }
  return toConfig(env);
}

const CHECKED_SECRETS = [
  'JWT_SECRET',
  'OTP_SECRET',
  'SANDBOX_WEBHOOK_SECRET',
  'TOTP_ENCRYPTION_KEY',
  'METRICS_TOKEN',
  'CALL_PROVIDER_WEBHOOK_SECRET',
] as const;

/**
 * A guessable secret lets anyone sign tokens (a patient's token re-signed with `role: admin`):
 * production refuses placeholders, low-entropy values and one value used for two purposes.
 */
function checkProductionSecrets(env: ParsedEnv): void {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const key of CHECKED_SECRETS) {
    const value = env[key];
    if (!value) continue;
    const problem = secretProblem(value);
    if (problem) problems.push(`${key} ${problem}`);
    const twin = seen.get(value);
    if (twin) problems.push(`${key} is the same as ${twin}; each secret must be different`);
    seen.set(value, key);
  }
  if (problems.length)
    throw new ConfigError(
      `Unsafe secret(s) in production:\n  ${problems.join('\n  ')}\nGenerate each one with: openssl rand -base64 48`,
    );
}

/** A provider is used only when every one of its settings is present. */
const OTP_PROVIDERS = [
  { label: 'WhatsApp (Gallabox)', keys: ['GALLABOX_API_KEY', 'GALLABOX_API_SECRET', 'GALLABOX_CHANNEL_ID'] },
  { label: 'SMS (Twilio)', keys: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] },
] as const;

/**
 * Without a WhatsApp or SMS provider, one-time codes would go to the console channel, which stores
 * their text in the database; production refuses that, and a half-configured provider (silently unused).
 */
function checkProductionMessaging(env: ParsedEnv): void {
  const partial = OTP_PROVIDERS.map((p) => ({ ...p, missing: p.keys.filter((k) => !env[k]) })).filter(
    (p) => p.missing.length > 0 && p.missing.length < p.keys.length,
  );
  if (partial.length)
    throw new ConfigError(
      `Incomplete messaging settings in production: ${partial
        .map((p) => `${p.label} also needs ${p.missing.join(', ')}`)
        .join('; ')}`,
    );
  if (OTP_PROVIDERS.some((p) => p.keys.every((k) => env[k]))) return;
  throw new ConfigError(
    `Production needs a WhatsApp or SMS provider for one-time codes (otherwise they would be stored by the console channel): set ${OTP_PROVIDERS.map(
      (p) => `${p.keys.join(', ')} for ${p.label}`,
    ).join(', or ')}`,
  );
}

const resolvedProvider = (env: ParsedEnv) =>
  env.PAYMENT_PROVIDER ?? (env.RAZORPAY_KEY_ID ? 'razorpay' : env.STRIPE_SECRET_KEY ? 'stripe' : 'sandbox');

/**
 * The sandbox confirms bookings with no money taken: production refuses it unless a staging
 * deployment says so explicitly, and then its webhooks must be signable.
 */
function checkProductionPayments(env: ParsedEnv): void {
  if (resolvedProvider(env) !== 'sandbox') return;
  if (!env.ALLOW_SANDBOX_PAYMENTS)
    throw new ConfigError(
      'Production has no payment gateway keys and would use the sandbox gateway, which confirms bookings without taking money: set STRIPE_SECRET_KEY or RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET, or (staging only) ALLOW_SANDBOX_PAYMENTS=true',
    );
  if (!env.SANDBOX_WEBHOOK_SECRET)
    throw new ConfigError(
      'ALLOW_SANDBOX_PAYMENTS=true needs SANDBOX_WEBHOOK_SECRET to sign the sandbox webhooks; generate one with: openssl rand -base64 48',
    );
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function toConfig(env: ParsedEnv) {
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '');
  const paymentProvider = resolvedProvider(env);
  return deepFreeze({
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    http: {
      host: env.HOST,
      port: env.PORT,
      publicUrl,
      corsOrigins: env.CORS_ORIGINS,
      trustProxy: env.TRUST_PROXY,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      maxConnections: env.MAX_CONNECTIONS,
      webhookRateLimitPerMinute: env.WEBHOOK_RATE_LIMIT_PER_MINUTE,
      /** Bearer token `/metrics` wants in production; open outside production when unset. */
      metricsToken: env.METRICS_TOKEN,
    },
    db: {
      url: env.DATABASE_URL,
      poolMax: env.DATABASE_POOL_MAX,
      preparedStatements: env.DATABASE_PREPARED_STATEMENTS,
      embeddedPort: env.EMBEDDED_DB_PORT,
    },
    jobs: { concurrency: env.JOB_CONCURRENCY },
    dataDir: path.resolve(env.DATA_DIR),
    logLevel: env.LOG_LEVEL,
    seedDemoData: env.SEED_DEMO_DATA ?? env.NODE_ENV !== 'production',
    auth: {
      jwtSecret: env.JWT_SECRET!,
      otpSecret: env.OTP_SECRET!,
      otpPhoneLimitPerHour: env.OTP_PHONE_LIMIT_PER_HOUR,
      otpIpLimitPerHour: env.OTP_IP_LIMIT_PER_HOUR,
      /** Encrypts admins' TOTP secrets at rest (AES-256-GCM key derived from it). */
      totpEncryptionKey: env.TOTP_ENCRYPTION_KEY,
    },
    defaultRegion: env.DEFAULT_REGION,
    currency: env.DEFAULT_CURRENCY,
    booking: {
      holdMinutes: env.HOLD_MINUTES,
      horizonDays: env.BOOKING_HORIZON_DAYS,
      cancellationWindowHours: env.CANCELLATION_WINDOW_HOURS,
      reminderHoursBefore: env.REMINDER_HOURS_BEFORE,
      noShowAfterMinutes: env.NO_SHOW_AFTER_MINUTES,
      requirePlan: env.REQUIRE_PLAN_FOR_BOOKING,
    },
    billing: {
      blockMinutes: env.SESSION_BLOCK_MINUTES,
      platformFeePercent: env.PLATFORM_FEE_PERCENT,
      callRingTimeoutSeconds: env.CALL_RING_TIMEOUT_SECONDS,
      noShowPolicy: env.NO_SHOW_POLICY,
      /** Signs the call provider's hangup callbacks; unset: every callback is refused (401). */
      callProviderSecret: env.CALL_PROVIDER_WEBHOOK_SECRET ?? null,
    },
    payments: {
      defaultProvider: paymentProvider,
      /** Production on the sandbox gateway (staging): announced loudly at start. */
      sandboxAllowedInProduction: env.NODE_ENV === 'production' && paymentProvider === 'sandbox',
      sandbox: { webhookSecret: env.SANDBOX_WEBHOOK_SECRET! },
      stripe: env.STRIPE_SECRET_KEY
        ? {
            secretKey: env.STRIPE_SECRET_KEY,
            webhookSecret: env.STRIPE_WEBHOOK_SECRET,
            apiUrl: env.STRIPE_API_URL,
          }
        : undefined,
      razorpay:
        env.RAZORPAY_KEY_ID && env.RAZORPAY_KEY_SECRET
          ? {
              keyId: env.RAZORPAY_KEY_ID,
              keySecret: env.RAZORPAY_KEY_SECRET,
              webhookSecret: env.RAZORPAY_WEBHOOK_SECRET,
              apiUrl: env.RAZORPAY_API_URL,
            }
          : undefined,
    },
    messaging: {
      gallabox:
        env.GALLABOX_API_KEY && env.GALLABOX_API_SECRET && env.GALLABOX_CHANNEL_ID
          ? {
              apiKey: env.GALLABOX_API_KEY,
              apiSecret: env.GALLABOX_API_SECRET,
              channelId: env.GALLABOX_CHANNEL_ID,
              apiUrl: env.GALLABOX_API_URL,
            }
          : undefined,
      twilio:
        env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM
          ? {
              accountSid: env.TWILIO_ACCOUNT_SID,
              authToken: env.TWILIO_AUTH_TOKEN,
              from: env.TWILIO_FROM,
              apiUrl: env.TWILIO_API_URL,
            }
          : undefined,
      smtp: env.SMTP_URL ? { url: env.SMTP_URL, from: env.EMAIL_FROM } : undefined,
      devInbox: env.NODE_ENV !== 'production',
    },
    video: {
      provider: env.VIDEO_PROVIDER,
      jitsiBaseUrl: env.JITSI_BASE_URL.replace(/\/$/, ''),
      googleMeet:
        env.GOOGLE_SERVICE_ACCOUNT_EMAIL && env.GOOGLE_PRIVATE_KEY
          ? {
              serviceAccountEmail: env.GOOGLE_SERVICE_ACCOUNT_EMAIL,
              privateKey: env.GOOGLE_PRIVATE_KEY.replace(/\\n/g, '\n'),
              calendarId: env.GOOGLE_CALENDAR_ID,
              impersonateSubject: env.GOOGLE_IMPERSONATE_SUBJECT,
              calendarApiUrl: env.GOOGLE_CALENDAR_API_URL,
              tokenUrl: env.GOOGLE_TOKEN_URL,
            }
          : undefined,
    },
    consultations: {
      llm: env.LLM_BASE_URL
        ? {
            baseUrl: env.LLM_BASE_URL.replace(/\/$/, ''),
            apiKey: env.LLM_API_KEY,
            model: env.LLM_MODEL,
            timeoutMs: env.LLM_TIMEOUT_MS,
          }
        : undefined,
      clinicalSessionMinutes: env.CLINICAL_SESSION_MINUTES,
      clinicTimeZone: env.CLINIC_TIME_ZONE,
    },
  });
}

export type Config = ReturnType<typeof loadConfig>;
