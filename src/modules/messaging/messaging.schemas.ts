import { z } from 'zod';
import { component } from '../../platform/openapi.js';
import { TEMPLATE_IDS } from './messaging.templates.js';

export const inAppNotification = z.object({
  id: z.uuid(),
  template: z.enum(TEMPLATE_IDS as [string, ...string[]]),
  title: z.string(),
  body: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
  readAt: z.iso.datetime({ offset: true }).nullable(),
});

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().trim().max(200).optional().describe('`nextCursor` of the previous page'),
});

export const listReply = z.object({
  items: z.array(inAppNotification),
  nextCursor: z.string().nullable(),
  unreadCount: z.number().int(),
});

export const idParams = z.object({ id: z.uuid() });
export const readReply = z.object({ id: z.uuid(), readAt: z.iso.datetime({ offset: true }) });
export const readAllReply = z.object({ updated: z.number().int() });

export const inboxQuery = z.object({
  to: z
    .string()
    .trim()
    .min(3)
    .max(254)
    .optional()
    .describe(
      'E.164 phone (a number without + is read in DEFAULT_REGION) or email; without it, an HTML index of recent recipients',
    ),
});

export const inboxReply = z.array(
  z.object({
    channel: z.string(),
    to: z.string(),
    template: z.string(),
    body: z.string(),
    createdAt: z.iso.datetime({ offset: true }),
  }),
);

export const streamQuery = z.object({
  ticket: z
    .string()
    .trim()
    .max(2000)
    .optional()
    .describe('from POST /api/notifications/stream-ticket, instead of a bearer token'),
});
export const ticketReply = z.object({ ticket: z.string(), expiresAt: z.iso.datetime({ offset: true }) });

// Shared components of the OpenAPI document (referenced, not inlined).
component('Notification', inAppNotification);
