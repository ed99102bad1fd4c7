import type { Server } from 'node:http';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, Errors } from '../../../platform/errors.js';
import type { Platform } from '../../../platform/module.js';
import { formatMoney } from '../../../platform/money.js';
import { sandboxDeliverJob } from '../payments.jobs.js';
import { sandboxCheckouts } from '../payments.table.js';
import {
  newSandboxEventId,
  SANDBOX_SIGNATURE_HEADER,
  type SandboxEvent,
  sandboxCallbackSignature,
  signSandboxPayload,
} from './sandbox.js';

type Deps = Pick<Platform, 'config' | 'clock' | 'uow' | 'pool' | 'log'>;

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1f2933}
.card{border:1px solid #d9e2ec;border-radius:12px;padding:1.5rem}.amount{font-size:2rem;font-weight:600}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:8px;border:0;margin-right:.5rem;cursor:pointer}
.pay{background:#2f855a;color:#fff}.fail{background:#e2e8f0}.note{color:#627d98;font-size:.85rem}</style>
</head><body><div class="card">${body}</div></body></html>`;

const params = z.object({ id: z.string().regex(/^sbx_[0-9a-f]{32}$/) });

/**
 * The sandbox gateway's hosted checkout. Pay or Fail records the outcome on the gateway's side and
 * queues a signed webhook delivered over real HTTP (a pg-boss job with retries), like a real gateway.
 */
export function sandboxPageRoutes(deps: Deps, serverRef: { server?: Server }): FastifyPluginAsyncZod {
  return async (app) => {
    serverRef.server = app.server;
    // HTML forms post urlencoded bodies; the buttons carry no fields.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, _b, done) =>
      done(null, {}),
    );
    const db = drizzle(deps.pool, { casing: 'snake_case' });
    const find = async (id: string) =>
      (await db.select().from(sandboxCheckouts).where(eq(sandboxCheckouts.id, id)))[0];

    app.get(
      '/sandbox/checkout/:id',
      { schema: { tags: ['sandbox'], summary: 'Sandbox hosted checkout page (HTML)', params } },
      async (req, reply) => {
        const co = await find(req.params.id);
        if (!co) throw Errors.notFound('Checkout', req.params.id);
        const amount = esc(formatMoney(co.amountMinor, co.currency));
        const body =
          co.status === 'open'
            ? `<p class="note">Carebook sandbox gateway — no real money moves.</p>
<h1>${esc(co.description)}</h1><p class="amount" data-testid="amount">${amount}</p>
<form method="post" action="/sandbox/checkout/${co.id}/pay" style="display:inline"><button class="pay" type="submit">Pay</button></form>
<form method="post" action="/sandbox/checkout/${co.id}/fail" style="display:inline"><button class="fail" type="submit">Fail</button></form>`
            : `<h1 data-testid="status">Checkout ${esc(co.status)}</h1><p class="amount">${amount}</p>`;
        reply.type('text/html; charset=utf-8');
        return page('Sandbox checkout', body);
      },
    );

    const act =
      (outcome: 'paid' | 'failed') =>
      async (req: { params: { id: string } }, reply: import('fastify').FastifyReply) => {
        const now = deps.clock.now();
        const id = req.params.id;
        const paymentRef = `sbx_pay_${id.slice(4)}`;
        // Nothing changes unless its webhook and callback can be signed.
        const secret = deps.config.payments.sandbox.webhookSecret;
        if (!secret)
          throw new AppError(
            503,
            'SANDBOX_NOT_CONFIGURED',
            'The sandbox gateway has no SANDBOX_WEBHOOK_SECRET.',
          );
        const sig = sandboxCallbackSignature(secret, id, paymentRef);
        const changed = await deps.uow(async (tx) => {
          const rows = await tx.db
            .update(sandboxCheckouts)
            .set({ status: outcome, paymentRef, completedAt: now })
            .where(and(eq(sandboxCheckouts.id, id), eq(sandboxCheckouts.status, 'open')))
            .returning({ id: sandboxCheckouts.id });
          if (rows.length === 0) return false;
          await tx.enqueue(sandboxDeliverJob, {
            eventId: newSandboxEventId(),
            type: outcome === 'paid' ? 'payment.succeeded' : 'payment.failed',
            checkoutId: id,
          });
          return true;
        });
        if (!changed) {
          const co = await find(id);
          if (!co) throw Errors.notFound('Checkout', id);
          // A repeated click answers as the first did; Pay after Fail (or an expired checkout) is refused.
          if (co.status !== outcome)
            throw Errors.conflict('CHECKOUT_CLOSED', `This checkout is already ${co.status}.`);
        }
        const q = new URLSearchParams({
          orderId: id,
          paymentId: paymentRef,
          signature: sig,
          status: outcome,
        });
        return reply.redirect(`/sandbox/checkout/${id}/done?${q}`, 303);
      };
    app.post(
      '/sandbox/checkout/:id/pay',
      {
        schema: {
          tags: ['sandbox'],
          summary: 'Sandbox: pay',
          params,
          errorCodes: { 409: ['CHECKOUT_CLOSED'], 503: ['SANDBOX_NOT_CONFIGURED'] },
        },
      },
      act('paid'),
    );
    app.post(
      '/sandbox/checkout/:id/fail',
      {
        schema: {
          tags: ['sandbox'],
          summary: 'Sandbox: decline',
          params,
          errorCodes: { 409: ['CHECKOUT_CLOSED'], 503: ['SANDBOX_NOT_CONFIGURED'] },
        },
      },
      act('failed'),
    );

    app.get(
      '/sandbox/checkout/:id/done',
      { schema: { tags: ['sandbox'], summary: 'Sandbox return page (HTML)', params } },
      async (req, reply) => {
        const co = await find(req.params.id);
        if (!co) throw Errors.notFound('Checkout', req.params.id);
        reply.type('text/html; charset=utf-8');
        const title = co.status === 'paid' ? 'Payment complete' : `Payment ${co.status}`;
        // The status handed back is the checkout's own, never the one in this page's query string.
        const back = new URLSearchParams(req.query as Record<string, string>);
        back.set('status', co.status);
        return page(
          title,
          `<h1 data-testid="result">${esc(title)}</h1><p><a href="/payments/return?${esc(back.toString())}">Back to Carebook</a></p>`,
        );
      },
    );
  };
}

/** The job that plays the gateway's webhook sender: signs now, POSTs, throws on non-2xx so pg-boss retries. */
export function makeSandboxDelivery(deps: Deps, serverRef: { server?: Server }) {
  const selfUrl = () => {
    const addr = serverRef.server?.listening ? serverRef.server.address() : null;
    return addr && typeof addr === 'object' ? `http://127.0.0.1:${addr.port}` : deps.config.http.publicUrl;
  };
  const db = drizzle(deps.pool, { casing: 'snake_case' });
  return async (job: { eventId: string; type: string; checkoutId: string }) => {
    const co = (await db.select().from(sandboxCheckouts).where(eq(sandboxCheckouts.id, job.checkoutId)))[0];
    if (!co) return;
    const now = deps.clock.now();
    const event: SandboxEvent = {
      id: job.eventId,
      type: job.type,
      created: Math.floor(now.getTime() / 1000),
      data: {
        checkoutId: co.id,
        paymentRef: co.paymentRef ?? undefined,
        amountMinor: co.amountMinor,
        currency: co.currency,
        ...(co.status === 'paid' && co.completedAt ? { paidAt: co.completedAt.toISOString() } : {}),
      },
    };
    const body = JSON.stringify(event);
    const res = await fetch(`${selfUrl()}/api/payment/webhook/sandbox`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SANDBOX_SIGNATURE_HEADER]: signSandboxPayload(
          deps.config.payments.sandbox.webhookSecret,
          body,
          event.created,
        ),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`sandbox webhook delivery got HTTP ${res.status}`);
  };
}
