import {
  SANDBOX_SIGNATURE_HEADER,
  type SandboxEvent,
  signSandboxPayload,
} from '../../src/modules/payments/gateways/sandbox.js';
import { sandboxDeliverJob } from '../../src/modules/payments/payments.jobs.js';
import { TEST_SECRETS, type TestApp } from '../support/app.js';

/** One webhook the sandbox gateway sends (and may send again under the same id). */
export type GatewayEvent = { eventId: string; type: string; checkoutId: string };
export type CallbackProof = { paymentId: string; signature: string };

/**
 * The patient clicks Pay or Fail on the hosted checkout page. Only a click on an open checkout
 * changes anything; it queues the gateway's webhook, which is returned with the return page's
 * callback proof. A closed checkout may refuse a click (409: Pay after Fail) and then gives no proof.
 */
export async function clickOnPage(
  t: TestApp,
  orderId: string,
  button: 'pay' | 'fail',
): Promise<{ event: GatewayEvent | null; proof: CallbackProof | null }> {
  const before = await checkoutStatus(t, orderId);
  const res = await fetch(`${t.url}/sandbox/checkout/${orderId}/${button}`, {
    method: 'POST',
    redirect: 'manual',
  });
  if (res.status === 409 && before !== 'open') return { event: null, proof: null };
  if (res.status !== 303) throw new Error(`sandbox ${button} answered ${res.status}`);
  const q = new URL(res.headers.get('location')!, t.url).searchParams;
  const proof = { paymentId: q.get('paymentId')!, signature: q.get('signature')! };
  if (before !== 'open') return { event: null, proof };
  const { rows } = await t.platform.pool.query<{ data: GatewayEvent }>(
    `select data from pgboss.job where name = $1 and data->>'checkoutId' = $2 order by created_on limit 1`,
    [sandboxDeliverJob.name, orderId],
  );
  return { event: rows[0]!.data, proof };
}

export async function checkoutStatus(t: TestApp, orderId: string): Promise<string> {
  const { rows } = await t.platform.pool.query('select status from sandbox_checkouts where id = $1', [
    orderId,
  ]);
  return rows[0]!.status;
}

/**
 * The gateway sends an event again, as a real one does (same id, signed afresh with the real
 * algorithm, built from the gateway's current state like the sandbox's own sender). Returns the
 * HTTP status our endpoint answered and the outcome it reported.
 */
export async function sendAgain(t: TestApp, e: GatewayEvent): Promise<{ status: number; outcome?: string }> {
  const { rows } = await t.platform.pool.query('select * from sandbox_checkouts where id = $1', [
    e.checkoutId,
  ]);
  const co = rows[0]!;
  const created = Math.floor(t.clock.now().getTime() / 1000);
  const event: SandboxEvent = {
    id: e.eventId,
    type: e.type,
    created,
    data: {
      checkoutId: co.id,
      paymentRef: co.payment_ref ?? undefined,
      amountMinor: co.amount_minor,
      currency: co.currency,
    },
  };
  const body = JSON.stringify(event);
  const res = await fetch(`${t.url}/api/payment/webhook/sandbox`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SANDBOX_SIGNATURE_HEADER]: signSandboxPayload(TEST_SECRETS.SANDBOX_WEBHOOK_SECRET, body, created),
    },
    body,
  });
  const reply = (await res.json()) as { outcome?: string };
  return { status: res.status, outcome: reply.outcome };
}
