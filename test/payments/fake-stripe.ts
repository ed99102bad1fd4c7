import type { RecordedRequest } from '../fakes/http-server.js';

export type Session = {
  id: string;
  object: 'checkout.session';
  status: 'open' | 'complete' | 'expired';
  payment_status: 'paid' | 'unpaid';
  payment_intent: string | null;
  amount_total: number;
  currency: string;
  customer: string;
  url: string;
  expires_at: number;
  metadata: Record<string, string>;
};

/** A stand-in for api.stripe.com: keeps sessions, customers and refunds, and records every request. */
export function fakeStripe() {
  const sessions = new Map<string, Session>();
  const refunds = new Map<string, { id: string; amount: number }>();
  let seq = 0;
  /** While true every request answers 503, like Stripe in an outage (the SDK retries, then gives up). */
  const outage = { on: false };
  const error = (status: number, message: string) => ({
    status,
    body: { error: { type: 'invalid_request_error', message } },
  });
  const handler = (req: RecordedRequest) => {
    if (outage.on) return { status: 503, body: { error: { type: 'api_error', message: 'unavailable' } } };
    const form = new URLSearchParams(req.body);
    const path = req.path.split('?')[0]!;
    if (req.method === 'POST' && path === '/v1/customers')
      return { status: 200, body: { id: `cus_${++seq}`, object: 'customer' } };
    if (req.method === 'POST' && path === '/v1/checkout/sessions') {
      const id = `cs_test_${++seq}`;
      const s: Session = {
        id,
        object: 'checkout.session',
        status: 'open',
        payment_status: 'unpaid',
        payment_intent: null,
        amount_total: Number(form.get('line_items[0][price_data][unit_amount]')),
        currency: form.get('line_items[0][price_data][currency]')!,
        customer: form.get('customer')!,
        url: `https://checkout.stripe.test/c/pay/${id}`,
        expires_at: Number(form.get('expires_at')),
        metadata: { paymentId: form.get('metadata[paymentId]')! },
      };
      sessions.set(id, s);
      return { status: 200, body: s };
    }
    const m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)(\/expire)?$/);
    if (m) {
      const s = sessions.get(m[1]!);
      if (!s) return error(404, 'No such checkout.session');
      if (m[2]) {
        if (s.status !== 'open')
          return error(400, `Only Checkout Sessions with a status in ["open"] can be expired.`);
        s.status = 'expired';
      }
      return { status: 200, body: s };
    }
    if (req.method === 'POST' && path === '/v1/refunds') {
      const key = String(req.headers['idempotency-key']);
      const existing = refunds.get(key);
      const r = existing ?? { id: `re_${++seq}`, amount: Number(form.get('amount')) };
      refunds.set(key, r);
      return {
        status: 200,
        body: { ...r, object: 'refund', status: 'succeeded', payment_intent: form.get('payment_intent') },
      };
    }
    return error(404, `unexpected ${req.method} ${path}`);
  };
  /** The patient pays the session at Stripe (no webhook is sent: the test delivers one if it wants). */
  const pay = (id: string) => {
    const s = sessions.get(id)!;
    Object.assign(s, { status: 'complete', payment_status: 'paid', payment_intent: `pi_${++seq}` });
    return s;
  };
  return { sessions, refunds, handler, outage, pay };
}
