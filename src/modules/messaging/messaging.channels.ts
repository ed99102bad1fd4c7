import nodemailer from 'nodemailer';
import type { Config } from '../../config.js';
import { classifyHttpStatus, type SendOutcome } from './messaging.rules.js';
import type { EmailMessage, WhatsAppMessage } from './messaging.templates.js';

/** What a channel needs to send one message; addresses come from the outbox row. */
export type Outgoing = {
  notificationId: string;
  phone: string | null;
  email: string | null;
  recipientName: string;
  whatsapp: WhatsAppMessage;
  sms: string;
  email_: EmailMessage;
};
export type ChannelSender = (msg: Outgoing) => Promise<SendOutcome>;

const TIMEOUT_MS = 10_000;

/** One HTTP call with a timeout; network failures and timeouts are retryable, replies are sorted by status. */
async function callProvider(
  url: string,
  init: RequestInit,
  messageIdOf: (body: Record<string, unknown>) => unknown,
): Promise<SendOutcome> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const name = (err as Error).name;
    return {
      kind: 'retryable',
      error: name === 'TimeoutError' ? 'provider timed out' : `network error: ${name}`,
    };
  }
  const text = await res.text().catch(() => '');
  let body: Record<string, unknown> = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {}
  const verdict = classifyHttpStatus(res.status);
  if (verdict === 'ok') {
    const id = messageIdOf(body);
    return { kind: 'sent', providerMessageId: typeof id === 'string' && id ? id : `http-${res.status}` };
  }
  // Provider error text can echo the request; keep only its message, bounded.
  const detail = String(body.message ?? body.error ?? '').slice(0, 200);
  return { kind: verdict, error: `HTTP ${res.status}${detail ? `: ${detail}` : ''}` };
}

/** Gallabox's template message API: named body values for a template approved under the same name. */
export function gallaboxSender(cfg: NonNullable<Config['messaging']['gallabox']>): ChannelSender {
  return (msg) =>
    callProvider(
      `${cfg.apiUrl.replace(/\/$/, '')}/devapi/messages/whatsapp`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', apiKey: cfg.apiKey, apiSecret: cfg.apiSecret },
        body: JSON.stringify({
          channelId: cfg.channelId,
          channelType: 'whatsapp',
          // Gallabox wants the number with its country code and no `+`.
          recipient: { name: msg.recipientName, phone: (msg.phone ?? '').replace(/^\+/, '') },
          whatsapp: {
            type: 'template',
            template: { templateName: msg.whatsapp.templateName, bodyValues: msg.whatsapp.bodyValues },
          },
        }),
      },
      (b) => b.id,
    );
}

/** Twilio Programmable Messaging: form-encoded To/From/Body with HTTP Basic auth (Account SID : auth token). */
export function twilioSender(cfg: NonNullable<Config['messaging']['twilio']>): ChannelSender {
  const auth = Buffer.from(`${cfg.accountSid}:${cfg.authToken}`).toString('base64');
  return (msg) => {
    const form = new URLSearchParams({ To: msg.phone ?? '', Body: msg.sms });
    // A Messaging Service SID (MG...) goes in its own field; a phone number or sender id is `From`.
    if (/^MG[0-9a-f]{32}$/i.test(cfg.from)) form.set('MessagingServiceSid', cfg.from);
    else form.set('From', cfg.from);
    return callProvider(
      `${cfg.apiUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(cfg.accountSid)}/Messages.json`,
      {
        method: 'POST',
        headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      },
      (b) => b.sid,
    );
  };
}

/** Email over SMTP. SMTP's own codes decide: 5xx is permanent, 4xx and connection trouble are retried. */
export function smtpSender(cfg: NonNullable<Config['messaging']['smtp']>): ChannelSender & { close(): void } {
  const transport = nodemailer.createTransport(cfg.url, {
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  } as never);
  const send: ChannelSender = async (msg) => {
    try {
      const info = await transport.sendMail({
        from: cfg.from,
        to: msg.email ?? '',
        subject: msg.email_.subject,
        text: msg.email_.text,
        html: msg.email_.html,
        // A stable Message-ID lets receivers drop a copy should a retry ever resend.
        messageId: `<${msg.notificationId}@carebook>`,
      });
      return { kind: 'sent', providerMessageId: info.messageId || `<${msg.notificationId}@carebook>` };
    } catch (err) {
      const e = err as { responseCode?: number; code?: string };
      if (e.responseCode && e.responseCode >= 500)
        return { kind: 'permanent', error: `SMTP ${e.responseCode}` };
      if (e.code === 'EENVELOPE' && !e.responseCode)
        return { kind: 'permanent', error: 'SMTP envelope rejected' };
      return {
        kind: 'retryable',
        error: e.responseCode ? `SMTP ${e.responseCode}` : `SMTP ${e.code ?? 'error'}`,
      };
    }
  };
  return Object.assign(send, { close: () => transport.close() });
}

export type Senders = {
  gallabox?: ChannelSender;
  twilio?: ChannelSender;
  smtp?: ChannelSender & { close(): void };
};

export function createSenders(config: Config): Senders {
  const m = config.messaging;
  return {
    gallabox: m.gallabox ? gallaboxSender(m.gallabox) : undefined,
    twilio: m.twilio ? twilioSender(m.twilio) : undefined,
    smtp: m.smtp ? smtpSender(m.smtp) : undefined,
  };
}
