import { z } from 'zod';
import { AppError } from '../../platform/errors.js';

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
  consultation_queued: ['patientName', 'consultationRef', 'consultationType'],
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
  /** Variables are secrets (an OTP): never shown in-app, emptied from the row once delivered. */
  sensitive?: boolean;
  render: (v: TemplateVars[K]) => Text;
};

const PHONE_FIRST: Channel[] = ['whatsapp', 'sms'];
const optional = (label: string, value: string) => (value ? ` ${label} ${value}.` : '');

const TEMPLATES: { [K in TemplateId]: TemplateDef<K> } = {
  otp_verification: {
    routes: [PHONE_FIRST],
    sensitive: true,
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
  session_low_credits: {
    routes: [['in_app'], PHONE_FIRST],
    render: (v) => ({
      title: 'Session credits running low',
      text: `Hi ${v.patientName}, you have ${v.remaining} session credits left.`,
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
export const isSensitive = (template: TemplateId) => TEMPLATES[template].sensitive === true;

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
  if (template === 'consultation_queued') return 'Carebook team';
  if (template === 'doctor_new_booking' || template === 'consultation_assigned')
    return vars.clinicianName || 'Doctor';
  return vars.patientName || 'Carebook user';
}
