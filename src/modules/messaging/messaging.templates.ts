import { z } from 'zod';
import type { Config } from '../../config.js';
import { AppError } from '../../platform/errors.js';
import { deriveKey, isSealed, seal, unseal } from '../../platform/seal.js';

/** Every channel a message can take. `console` stores the message for the dev inbox instead of sending it. */
export type Channel = 'whatsapp' | 'sms' | 'email' | 'in_app' | 'console';

/** The variables of each template, all strings, formatted by the caller (times in the reader's zone, money as `INR 299.00`). */
export const TEMPLATE_VARS = {
  otp_verification: ['code', 'minutes'],
  appointment_confirmed: ['patientName', 'clinicianName', 'startsAt', 'mode', 'place'],
  payment_received: ['patientName', 'amount', 'reference'],
  appointment_reminder: ['patientName', 'clinicianName', 'startsAt', 'place', 'joinUrl'],
  meet_link: ['patientName', 'clinicianName', 'startsAt', 'joinUrl'],
  appointment_cancelled: ['patientName', 'clinicianName', 'startsAt', 'reason', 'refundAmount'],
  refund_processed: ['patientName', 'amount', 'reference'],
  doctor_new_booking: ['clinicianName', 'patientName', 'startsAt', 'mode'],
  admin_new_booking: ['patientName', 'clinicianName', 'startsAt', 'mode'],
  consultation_assigned: ['clinicianName', 'patientName', 'consultationRef'],
  session_low_credits: ['patientName', 'remaining'],
  session_message: ['senderName', 'sessionId', 'preview'],
  consultation_queued: ['patientName', 'consultationRef', 'consultationType'],
  consultation_taken: ['consultationRef', 'consultationType', 'clinicianName'],
} as const;

export type TemplateId = keyof typeof TEMPLATE_VARS;
export const TEMPLATE_IDS = Object.keys(TEMPLATE_VARS) as TemplateId[];
export type TemplateVars = { [K in TemplateId]: Record<(typeof TEMPLATE_VARS)[K][number], string> };

type Text = { title: string; text: string };
type TemplateDef<K extends TemplateId> = {
  /**
   * Independent deliveries; each is a fallback chain tried in order (the first channel the recipient
   * has an address for is used; the rest are tried if it fails permanently).
   */
  routes: Channel[][];
  /**
   * Variables that are secrets (an OTP's code): stored only sealed (AES-256-GCM), redacted in every
   * stored body, never shown in-app, and emptied from the row once delivered.
   */
  secretVars?: ReadonlyArray<(typeof TEMPLATE_VARS)[K][number]>;
  render: (v: TemplateVars[K]) => Text;
};

const PHONE_FIRST: Channel[] = ['whatsapp', 'sms'];
const optional = (label: string, value: string) => (value ? ` ${label} ${value}.` : '');

const TEMPLATES: { [K in TemplateId]: TemplateDef<K> } = {
  otp_verification: {
    routes: [PHONE_FIRST],
    secretVars: ['code'],
    render: (v) => ({
      title: 'Your Carebook login code',
      text: `${v.code} is your Carebook login code. It expires in ${v.minutes} minutes. Do not share it with anyone.`,
    }),
  },
  appointment_confirmed: {
    routes: [PHONE_FIRST, ['email'], ['in_app']],
    render: (v) => ({
      title: 'Appointment confirmed',
      text: `Hi ${v.patientName}, your ${v.mode} appointment with ${v.clinicianName} on ${v.startsAt} is confirmed. Place: ${v.place}.`,
    }),
  },
  payment_received: {
    routes: [PHONE_FIRST, ['email'], ['in_app']],
    render: (v) => ({
      title: 'Payment received',
      text: `Hi ${v.patientName}, we received your payment of ${v.amount}. Reference: ${v.reference}.`,
    }),
  },
  appointment_reminder: {
    routes: [PHONE_FIRST, ['in_app']],
    render: (v) => ({
      title: 'Appointment reminder',
      text: `Hi ${v.patientName}, a reminder of your appointment with ${v.clinicianName} on ${v.startsAt}. Place: ${v.place}.${optional('Join:', v.joinUrl)}`,
    }),
  },
  meet_link: {
    routes: [PHONE_FIRST, ['email'], ['in_app']],
    render: (v) => ({
      title: 'Your video consultation link',
      text: `Hi ${v.patientName}, join your video consultation with ${v.clinicianName} on ${v.startsAt} here: ${v.joinUrl}`,
    }),
  },
  appointment_cancelled: {
    routes: [PHONE_FIRST, ['email'], ['in_app']],
    render: (v) => ({
      title: 'Appointment cancelled',
      text: `Hi ${v.patientName}, your appointment with ${v.clinicianName} on ${v.startsAt} was cancelled. Reason: ${v.reason}.${optional('Refund:', v.refundAmount)}`,
    }),
  },
  refund_processed: {
    routes: [PHONE_FIRST, ['email'], ['in_app']],
    render: (v) => ({
      title: 'Refund processed',
      text: `Hi ${v.patientName}, your refund of ${v.amount} has been processed. Reference: ${v.reference}.`,
    }),
  },
  doctor_new_booking: {
    routes: [['in_app'], PHONE_FIRST],
    render: (v) => ({
      title: 'New booking',
      text: `Dr ${v.clinicianName}, ${v.patientName} booked a ${v.mode} appointment with you on ${v.startsAt}.`,
    }),
  },
  admin_new_booking: {
    routes: [['in_app'], ['email']],
    render: (v) => ({
      title: 'New booking',
      text: `${v.patientName} booked a ${v.mode} appointment with ${v.clinicianName} on ${v.startsAt}.`,
    }),
  },
  consultation_assigned: {
    routes: [['in_app'], PHONE_FIRST],
    render: (v) => ({
      title: 'Consultation assigned',
      text: `Dr ${v.clinicianName}, consultation ${v.consultationRef} for ${v.patientName} is assigned to you.`,
    }),
  },
  consultation_queued: {
    routes: [['in_app']],
    render: (v) => ({
      title: 'Consultation waiting for a doctor',
      text: `A ${v.consultationType} consultation ${v.consultationRef} for ${v.patientName} is waiting in the shared queue for a doctor.`,
    }),
  },
  // The other side of consultation_queued: the entry left the shared queue (claimed or assigned).
  consultation_taken: {
    routes: [['in_app']],
    render: (v) => ({
      title: 'Consultation taken',
      text: `The ${v.consultationType} consultation ${v.consultationRef} was taken by Dr ${v.clinicianName} and has left the shared queue.`,
    }),
  },
  session_low_credits: {
    routes: [['in_app'], PHONE_FIRST],
    render: (v) => ({
      title: 'Session credits running low',
      text: `Hi ${v.patientName}, you have ${v.remaining} session credits left.`,
    }),
  },
  // A chat message pushed live to the other party (in-app only: the stream carries it).
  session_message: {
    routes: [['in_app']],
    render: (v) => ({
      title: `Message from ${v.senderName}`,
      text: `${v.senderName} (session ${v.sessionId}): ${v.preview}`,
    }),
  },
};

const varSchemas = Object.fromEntries(
  TEMPLATE_IDS.map((id) => [
    id,
    z.strictObject(Object.fromEntries(TEMPLATE_VARS[id].map((k) => [k, z.string().max(1000)]))),
  ]),
) as unknown as Record<TemplateId, z.ZodType<Record<string, string>>>;

export const isTemplateId = (id: string): id is TemplateId => Object.hasOwn(TEMPLATE_VARS, id);

/** Checks a template's variables at run time (callers are typed, stored rows are not). */
export function checkVars<K extends TemplateId>(template: K, vars: unknown): TemplateVars[K] {
  if (!isTemplateId(template)) throw new AppError(500, 'TEMPLATE_UNKNOWN', `Unknown template ${template}.`);
  const parsed = varSchemas[template].safeParse(vars);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(vars)'}: ${i.message}`);
    throw new AppError(
      500,
      'TEMPLATE_VARS_INVALID',
      `Variables for ${template} are invalid: ${issues.join('; ')}`,
    );
  }
  return parsed.data as TemplateVars[K];
}

export const templateRoutes = (template: TemplateId): Channel[][] => TEMPLATES[template].routes;
export const isSensitive = (template: TemplateId) => (TEMPLATES[template].secretVars?.length ?? 0) > 0;
const secretVarsOf = (template: TemplateId): readonly string[] => TEMPLATES[template].secretVars ?? [];

/** The key that seals secret variables in the outbox, derived from OTP_SECRET. */
export const outboxKey = (config: Pick<Config, 'auth'>) =>
  deriveKey(config.auth.otpSecret, 'carebook:outbox-secret-vars');

const mapSecrets = (template: TemplateId, vars: Record<string, string>, fn: (v: string) => string) => {
  const secret = secretVarsOf(template);
  if (secret.length === 0) return vars;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, secret.includes(k) ? fn(v) : v]));
};

/** The variables as a row stores them: secret ones sealed (already sealed ones are left as they are). */
export const sealVars = (template: TemplateId, vars: Record<string, string>, key: Buffer) =>
  mapSecrets(template, vars, (v) => (isSealed(v) ? v : seal(key, v)));

/** The variables a provider needs: secret ones opened (a value that does not open is left as stored). */
export const openVars = <V extends Record<string, string>>(template: TemplateId, vars: V, key: Buffer): V =>
  mapSecrets(template, vars, (v) => (isSealed(v) ? (unseal(key, v) ?? v) : v)) as V;

/** The variables for text that is stored (console and in-app bodies): secret ones masked. */
export const redactVars = <V extends Record<string, string>>(template: TemplateId, vars: V): V =>
  mapSecrets(template, vars, () => '••••••') as V;

/** Which outside providers this deployment has credentials for. */
export type ConfiguredChannels = { whatsapp: boolean; sms: boolean; email: boolean };

/**
 * The fallback chains a message may really take. Phone and email channels without a configured
 * provider are dropped, so an SMS-only deployment sends by SMS instead of parking the message on the
 * console. The console (dev inbox) exists only where `allowConsole` (development): there a chain with
 * no configured provider at all stays whole, its first channel landing in the dev inbox.
 */
export function usableChains(
  chains: readonly (readonly Channel[])[],
  configured: ConfiguredChannels,
  allowConsole: boolean,
): Channel[][] {
  const outside = (c: Channel): c is 'whatsapp' | 'sms' | 'email' =>
    c === 'whatsapp' || c === 'sms' || c === 'email';
  return chains
    .map((chain) => {
      const live = chain.filter((c) => (outside(c) ? configured[c] : c === 'in_app' || allowConsole));
      const anyOutside = chain.some(outside);
      if (allowConsole && anyOutside && !live.some(outside)) return [...chain];
      return live;
    })
    .filter((chain) => chain.length > 0);
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const linkify = (escaped: string) =>
  escaped.replace(/https?:\/\/[^\s<]+[^\s<.,]/g, (url) => `<a href="${url}">${url}</a>`);

export type WhatsAppMessage = { templateName: TemplateId; bodyValues: Record<string, string> };
export type EmailMessage = { subject: string; text: string; html: string };

/** Per-channel rendering of one template, English. */
export function render<K extends TemplateId>(template: K, vars: TemplateVars[K]) {
  const { title, text } = TEMPLATES[template].render(vars);
  return {
    /** WhatsApp templates are approved at Gallabox under the same name, with named body variables. */
    whatsapp: { templateName: template, bodyValues: { ...vars } } as WhatsAppMessage,
    sms: text,
    email: {
      subject: `Carebook: ${title}`,
      text: `${text}\n\n— Carebook`,
      html: `<!doctype html><html><body><h2>${escapeHtml(title)}</h2><p>${linkify(escapeHtml(text))}</p><p>— Carebook</p></body></html>`,
    } as EmailMessage,
    inApp: { title, body: text },
  };
}

/** Who a message is addressed to, for providers that want a contact name (Gallabox). */
export function recipientName(template: TemplateId, vars: Record<string, string>): string {
  if (template === 'admin_new_booking') return 'Carebook admin';
  if (template === 'consultation_queued' || template === 'consultation_taken') return 'Carebook team';
  if (template === 'doctor_new_booking' || template === 'consultation_assigned')
    return vars.clinicianName || 'Doctor';
  return vars.patientName || 'Carebook user';
}
