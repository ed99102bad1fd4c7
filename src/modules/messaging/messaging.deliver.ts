import type { Tx } from '../../platform/db/uow.js';
import type { ChannelSender, Senders } from './messaging.channels.js';
import { deliverJob } from './messaging.jobs.js';
import * as repo from './messaging.repository.js';
import { CLAIM_LEASE_MS, nextStep, pickChannel, type SendOutcome } from './messaging.rules.js';
import { createRow, type MessagingDeps } from './messaging.service.js';
import type { NotificationRow } from './messaging.table.js';
import {
  type Channel,
  checkVars,
  isSensitive,
  isTemplateId,
  openVars,
  outboxKey,
  recipientName,
  render,
} from './messaging.templates.js';

/** Thrown while another attempt holds a fresh claim: pg-boss runs the job again later, by then it is settled. */
export class DeliveryInProgress extends Error {
  override name = 'DeliveryInProgress';
}

/**
 * The `messaging.deliver` job. A row is claimed (status `sending`, attempts + 1) under a row lock and
 * committed before the provider is called, so a duplicate or retried job never sends it again; the
 * outcome is settled in a second transaction that also enqueues the next attempt or the fallback.
 */
export function createDeliverer(
  deps: MessagingDeps,
  senders: Senders,
  onAttempt: (channel: string, outcome: 'sent' | 'retry' | 'failed') => void = () => {},
) {
  const senderFor = (row: NotificationRow): ChannelSender | undefined =>
    row.provider === 'gallabox'
      ? senders.gallabox
      : row.provider === 'twilio'
        ? senders.twilio
        : senders.smtp;

  async function claim(id: string, now: Date): Promise<NotificationRow | null> {
    return deps.uow(async (tx) => {
      const row = await repo.findForUpdate(tx.db, id);
      if (!row || row.status === 'sent' || row.status === 'failed') return null;
      if (row.status === 'sending') {
        if (row.claimedAt && now.getTime() - row.claimedAt.getTime() < CLAIM_LEASE_MS)
          throw new DeliveryInProgress(`notification ${id} is being sent`);
        // The claimant died mid-send: the provider may already have the message. A second copy is
        // worse than none, so the row fails without a resend or a fallback.
        await repo.update(tx.db, id, {
          status: 'failed',
          error: 'DELIVERY_OUTCOME_UNKNOWN: an attempt stopped mid-send',
          claimedAt: null,
          vars: scrubbed(row),
          updatedAt: now,
        });
        return null;
      }
      const attempts = row.attempts + 1;
      await repo.update(tx.db, id, { status: 'sending', claimedAt: now, attempts, updatedAt: now });
      return { ...row, status: 'sending', attempts, claimedAt: now };
    });
  }

  async function send(row: NotificationRow): Promise<SendOutcome> {
    const sender = senderFor(row);
    if (!sender || !isTemplateId(row.templateId))
      return { kind: 'permanent', error: `PROVIDER_NOT_CONFIGURED: ${row.provider}` };
    const vars = openVars(row.templateId, checkVars(row.templateId, row.vars), outboxKey(deps.config));
    const r = render(row.templateId, vars);
    return sender({
      notificationId: row.id,
      phone: row.phone,
      email: row.email,
      recipientName: recipientName(row.templateId, vars),
      whatsapp: r.whatsapp,
      sms: r.sms,
      email_: r.email,
    });
  }

  async function settle(claimed: NotificationRow, outcome: SendOutcome, now: Date): Promise<void> {
    await deps.uow(async (tx) => {
      const row = await repo.findForUpdate(tx.db, claimed.id);
      // Settled by someone else already (for instance an operator); nothing of ours to record.
      if (row?.status !== 'sending' || row.attempts !== claimed.attempts) return;
      const step = nextStep(outcome, row.attempts, now, row.fallbackChannels as Channel[]);
      const error = outcome.kind === 'sent' ? null : outcome.error;
      onAttempt(row.channel, step.kind);
      if (step.kind === 'sent' && outcome.kind === 'sent') {
        await repo.update(tx.db, row.id, {
          status: 'sent',
          providerMessageId: outcome.providerMessageId,
          sentAt: now,
          error: null,
          claimedAt: null,
          vars: scrubbed(row),
          updatedAt: now,
        });
      } else if (step.kind === 'retry') {
        await repo.update(tx.db, row.id, {
          status: 'queued',
          error,
          nextAttemptAt: step.at,
          claimedAt: null,
          updatedAt: now,
        });
        await tx.enqueue(deliverJob, { notificationId: row.id }, { startAfter: step.at });
      } else {
        await repo.update(tx.db, row.id, {
          status: 'failed',
          error,
          claimedAt: null,
          vars: scrubbed(row),
          updatedAt: now,
        });
        await fallBack(tx, row, now);
      }
    });
    deps.log.info(
      {
        notificationId: claimed.id,
        template: claimed.templateId,
        channel: claimed.channel,
        outcome: outcome.kind,
      },
      'message delivery attempt',
    );
  }

  /** A permanently failed message goes by the next channel of its chain, under the same idempotency key. */
  async function fallBack(tx: Tx, row: NotificationRow, now: Date): Promise<void> {
    if (!isTemplateId(row.templateId)) return;
    const recipient = {
      userId: row.userId ?? undefined,
      phone: row.phone ?? undefined,
      email: row.email ?? undefined,
    };
    const picked = pickChannel(row.fallbackChannels as Channel[], recipient);
    if (!picked) return;
    await createRow(deps, tx, {
      template: row.templateId,
      vars: row.vars,
      recipient,
      idempotencyKey: row.idempotencyKey,
      channel: picked.channel,
      fallback: picked.fallback,
      now,
    });
  }

  return async function deliver(data: { notificationId: string }): Promise<void> {
    const now = deps.clock.now();
    const row = await claim(data.notificationId, now);
    if (!row) return;
    let outcome: SendOutcome;
    try {
      outcome = await send(row);
    } catch (err) {
      outcome = { kind: 'retryable', error: `unexpected: ${(err as Error).name}` };
    }
    await settle(row, outcome, now);
  };
}

/** An OTP's code leaves the table once its message reached a final state. */
const scrubbed = (row: NotificationRow) =>
  isTemplateId(row.templateId) && isSensitive(row.templateId) ? {} : row.vars;
