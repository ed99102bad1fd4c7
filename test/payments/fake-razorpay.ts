import type { RecordedRequest } from '../fakes/http-server.js';

export const KEY_ID = 'rzp_test_carebook';
export const KEY_SECRET = 'rzp_key_secret_0123456789';

type RzPayment = {
  id: string;
  entity: 'payment';
  order_id: string;
  amount: number;
  currency: string;
  status: string;
  captured: boolean;
};
type RzRefund = {
  id: string;
  entity: 'refund';
  payment_id: string;
  amount: number;
  status: string;
  notes: Record<string, string>;
};

const badRequest = (description: string) => ({
  status: 400,
  body: { error: { code: 'BAD_REQUEST_ERROR', description } },
});

/**
 * A stand-in for api.razorpay.com: orders, payments (with capture), refunds; it checks Basic auth
 * on every call and answers capture the way Razorpay does (same amount only, once).
 */
export function fakeRazorpay() {
  const orders = new Map<string, { id: string; amount: number; currency: string; receipt: string }>();
  const payments = new Map<string, RzPayment>();
  const refunds: RzRefund[] = [];
  /** Every capture request, including refused ones: what our code asked for. */
  const captures: Array<{ paymentId: string; amount: unknown; currency: unknown; outcome: string }> = [];
  let seq = 0;
  type CaptureFault = 'lose-answer' | 'unavailable' | 'captured-meanwhile';
  let nextCaptureFault: CaptureFault | null = null;
  let failNextRefundAfterRecording = false;
  let refundStatus = 'processed';
  const auth = `Basic ${Buffer.from(`${KEY_ID}:${KEY_SECRET}`).toString('base64')}`;
  const handler = (req: RecordedRequest) => {
    if (req.headers.authorization !== auth)
      return { status: 401, body: { error: { code: 'BAD_REQUEST_ERROR', description: 'auth' } } };
    const path = req.path.split('?')[0]!;
    const body = req.body ? JSON.parse(req.body) : {};
    if (req.method === 'POST' && path === '/v1/orders') {
      const o = {
        id: `order_${++seq}`,
        entity: 'order',
        amount: body.amount,
        currency: body.currency,
        receipt: body.receipt,
        status: 'created',
      };
      orders.set(o.id, o);
      return { status: 200, body: o };
    }
    let m = path.match(/^\/v1\/orders\/([^/]+)\/payments$/);
    if (m) {
      const items = [...payments.values()].filter((p) => p.order_id === m![1]);
      return { status: 200, body: { entity: 'collection', count: items.length, items } };
    }
    m = path.match(/^\/v1\/payments\/([^/]+)\/capture$/);
    if (m && req.method === 'POST') {
      const p = payments.get(m[1]!);
      const record = (outcome: string) =>
        captures.push({ paymentId: m![1]!, amount: body.amount, currency: body.currency, outcome });
      const refuse = (description: string) => {
        record(description);
        return badRequest(description);
      };
      const fault = nextCaptureFault;
      nextCaptureFault = null;
      if (fault === 'unavailable') {
        record('unavailable');
        return { status: 503, body: { error: { code: 'SERVER_ERROR', description: 'unavailable' } } };
      }
      if (!p) return refuse('The id provided does not exist');
      if (fault === 'captured-meanwhile') Object.assign(p, { status: 'captured', captured: true });
      if (p.status === 'captured') return refuse('This payment has already been captured');
      if (p.status !== 'authorized')
        return refuse('Only payments which have been authorized and not yet captured can be captured');
      if (body.amount !== p.amount || (body.currency !== undefined && body.currency !== p.currency))
        return refuse('Capture amount must be equal to the amount authorized');
      Object.assign(p, { status: 'captured', captured: true });
      record('captured');
      return fault === 'lose-answer'
        ? { status: 504, body: { error: { code: 'GATEWAY_ERROR', description: 'timeout' } } }
        : { status: 200, body: p };
    }
    m = path.match(/^\/v1\/payments\/([^/]+)\/refunds\/([^/]+)$/);
    if (m) {
      const r = refunds.find((x) => x.payment_id === m![1] && x.id === m![2]);
      return r
        ? { status: 200, body: r }
        : { status: 400, body: { error: { code: 'BAD_REQUEST_ERROR', description: 'no refund' } } };
    }
    m = path.match(/^\/v1\/payments\/([^/]+)\/refunds$/);
    if (m)
      return {
        status: 200,
        body: { entity: 'collection', items: refunds.filter((r) => r.payment_id === m![1]) },
      };
    m = path.match(/^\/v1\/payments\/([^/]+)\/refund$/);
    if (m && req.method === 'POST') {
      // Razorpay's ceiling: never more back than the payment's amount, across all its refunds.
      const paid = payments.get(m[1]!);
      const refunded = refunds
        .filter((r) => r.payment_id === m![1] && r.status !== 'failed')
        .reduce((sum, r) => sum + r.amount, 0);
      if (paid && refunded + body.amount > paid.amount)
        return badRequest('The refund amount provided is greater than amount captured');
      const r: RzRefund = {
        id: `rfnd_${++seq}`,
        entity: 'refund',
        payment_id: m[1]!,
        amount: body.amount,
        status: refundStatus,
        notes: body.notes,
      };
      refunds.push(r);
      if (failNextRefundAfterRecording) {
        failNextRefundAfterRecording = false;
        return { status: 504, body: { error: { code: 'GATEWAY_ERROR', description: 'timeout' } } };
      }
      return { status: 200, body: r };
    }
    m = path.match(/^\/v1\/payments\/([^/]+)$/);
    if (m) {
      const p = payments.get(m[1]!);
      return p
        ? { status: 200, body: p }
        : { status: 400, body: { error: { code: 'BAD_REQUEST_ERROR', description: 'no such payment' } } };
    }
    return { status: 404, body: { error: { code: 'NOT_FOUND', description: path } } };
  };
  return {
    orders,
    payments,
    refunds,
    captures,
    handler,
    pay(orderId: string, status = 'captured', id = `pay_${++seq}`) {
      const o = orders.get(orderId)!;
      const p: RzPayment = {
        id,
        entity: 'payment',
        order_id: orderId,
        amount: o.amount,
        currency: o.currency,
        status,
        captured: status === 'captured' || status === 'refunded',
      };
      payments.set(id, p);
      return p;
    },
    /**
     * The next capture request: `lose-answer` captures but answers 504 (a timeout after the fact);
     * `unavailable` answers 503 and captures nothing; `captured-meanwhile` is Razorpay's auto-capture
     * winning the race, answered "already captured".
     */
    faultNextCapture(fault: CaptureFault) {
      nextCaptureFault = fault;
    },
    failNextRefund() {
      failNextRefundAfterRecording = true;
    },
    setRefundStatus(s: string) {
      refundStatus = s;
    },
  };
}
