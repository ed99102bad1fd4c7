import type { Channel } from './messaging.templates.js';

export type Provider = 'gallabox' | 'twilio' | 'smtp' | 'in_app' | 'console';
export type Recipient = { userId?: string; phone?: string; email?: string };
/** Which outside providers this deployment has credentials for. */
export type Configured = { whatsapp: boolean; sms: boolean; email: boolean };

/** Whether a recipient has an address for a channel. */
export function canReach(channel: Channel, r: Recipient): boolean {
  switch (channel) {
    case 'whatsapp':
    case 'sms':
      return Boolean(r.phone);
    case 'email':
      return Boolean(r.email);
    case 'in_app':
      return Boolean(r.userId);
    case 'console':
      return Boolean(r.phone || r.email);
  }
}

/** The provider that carries a channel: the real one when configured, else the console (dev inbox). */
export function providerFor(channel: Channel, configured: Configured): Provider {
  switch (channel) {
    case 'whatsapp':
      return configured.whatsapp ? 'gallabox' : 'console';
    case 'sms':
      return configured.sms ? 'twilio' : 'console';
    case 'email':
      return configured.email ? 'smtp' : 'console';
    case 'in_app':
      return 'in_app';
    case 'console':
      return 'console';
  }
}

/**
 * Picks the first channel of a fallback chain the recipient can be reached on; the channels after
 * it (that the recipient can also be reached on) are kept as the fallback.
 */
export function pickChannel(
  chain: readonly Channel[],
  r: Recipient,
): { channel: Channel; fallback: Channel[] } | null {
  const reachable = chain.filter((c) => canReach(c, r));
  const [channel, ...fallback] = reachable;
  return channel ? { channel, fallback } : null;
}

export const MAX_ATTEMPTS = 5;
const BASE_DELAY_MS = 30_000;
const MAX_DELAY_MS = 30 * 60_000;

/** Exponential backoff after failed attempt `attempt` (1-based): 30 s, 1 min, 2 min, 4 min, ... capped at 30 min. */
export const backoffMs = (attempt: number) =>
  Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));

/** A provider reply or a transport failure, sorted into what the outbox does next. */
export type SendOutcome =
  | { kind: 'sent'; providerMessageId: string }
  | { kind: 'permanent'; error: string }
  | { kind: 'retryable'; error: string };

/** 4xx means the request itself is wrong (bad number, unknown template): retrying cannot help. 408 and 429 are the exceptions. */
export function classifyHttpStatus(status: number): 'ok' | 'permanent' | 'retryable' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 429) return 'retryable';
  if (status >= 400 && status < 500) return 'permanent';
  return 'retryable';
}

export type NextStep =
  | { kind: 'sent' }
  | { kind: 'retry'; at: Date }
  | { kind: 'failed'; fallback: Channel[] };

/** What follows an attempt: sent, retried later with backoff, or failed (and handed to the fallback chain). */
export function nextStep(outcome: SendOutcome, attempt: number, now: Date, fallback: Channel[]): NextStep {
  if (outcome.kind === 'sent') return { kind: 'sent' };
  if (outcome.kind === 'retryable' && attempt < MAX_ATTEMPTS)
    return { kind: 'retry', at: new Date(now.getTime() + backoffMs(attempt)) };
  return { kind: 'failed', fallback };
}

/** A `sending` claim older than this belongs to a worker that died mid-send. */
export const CLAIM_LEASE_MS = 5 * 60_000;
