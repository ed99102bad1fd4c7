import { randomUUID } from 'node:crypto';
import { signSandboxPayload } from '../../src/modules/payments/gateways/sandbox.js';
import type { PayableHandlers, PaymentForHandler, PaymentsModule } from '../../src/modules/payments/index.js';
import type { Tx } from '../../src/platform/db/uow.js';
import { createUser, type TestUser } from '../factories/identity.js';
import { type FakeServer, startFakeServer } from '../fakes/http-server.js';
import { startTestApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { RAZORPAY_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET } from './events.js';
import { fakeRazorpay, KEY_ID, KEY_SECRET } from './fake-razorpay.js';
import { fakeStripe } from './fake-stripe.js';

type GatewayChoice = { stripe?: true; razorpay?: true };
/** A fake gateway's state (`fake`) and the local HTTP server the SDK is pointed at (`api`). */
type FakeGateway<F> = { fake: F; api: FakeServer };
export type PaymentsApp<G extends GatewayChoice = GatewayChoice> = {
  t: TestApp;
  /** A patient with a live session, created after the test payable is installed. */
  patient: TestUser;
  /** Stops the app (dropping its database), then the fake gateway servers. */
  close(): Promise<void>;
} & (G['stripe'] extends true ? { stripe: FakeGateway<ReturnType<typeof fakeStripe>> } : unknown) &
  (G['razorpay'] extends true ? { razorpay: FakeGateway<ReturnType<typeof fakeRazorpay>> } : unknown);

/** Each fake gateway, and the app settings that point the real SDK (test keys and secrets) at it. */
const FAKE_GATEWAYS = {
  stripe: {
    make: fakeStripe,
    env: (url: string) => ({
      STRIPE_SECRET_KEY: 'sk_test_carebook',
      STRIPE_WEBHOOK_SECRET,
      STRIPE_API_URL: url,
    }),
  },
  razorpay: {
    make: fakeRazorpay,
    env: (url: string) => ({
      RAZORPAY_KEY_ID: KEY_ID,
      RAZORPAY_KEY_SECRET: KEY_SECRET,
      RAZORPAY_WEBHOOK_SECRET,
      RAZORPAY_API_URL: url,
    }),
  },
};

/**
 * The payments tests' app: a fake Stripe and/or Razorpay REST server when asked for, the app on its
 * own database with the SDKs pointed at them, the test payable kind and one patient. The sandbox
 * gateway is always there.
 */
export async function startPaymentsApp<G extends GatewayChoice = Record<never, never>>(
  opts: G & { patient?: { fullName?: string } } = {} as G,
): Promise<PaymentsApp<G>> {
  const gateways: Record<string, FakeGateway<unknown>> = {};
  const closeServers = async () => {
    for (const { api } of Object.values(gateways)) await api.close();
  };
  try {
    const env: Record<string, string> = {};
    for (const name of ['stripe', 'razorpay'] as const) {
      if (!opts[name]) continue;
      const fake = FAKE_GATEWAYS[name].make();
      const api = await startFakeServer(fake.handler);
      gateways[name] = { fake, api };
      Object.assign(env, FAKE_GATEWAYS[name].env(api.url));
    }
    const t = await startTestApp(Object.keys(env).length ? { env } : {});
    try {
      await installTestPayable(t);
      const patient = await createUser(t, { role: 'patient', ...opts.patient });
      const close = async () => {
        await t.close();
        await closeServers();
      };
      return { t, patient, close, ...gateways } as PaymentsApp<G>;
    } catch (err) {
      await t.close();
      throw err;
    }
  } catch (err) {
    await closeServers();
    throw err;
  }
}

/**
 * A tiny payable kind for payments tests, registered through the real `registerPayable`: a
 * `subscription` backed by a table this helper creates. Every handler call is recorded, so tests
 * can assert "called once". `revivable` payables accept late money; others ask for a refund.
 */
export async function installTestPayable(t: TestApp) {
  await t.platform.pool.query(`
    create table if not exists test_payables (
      id uuid primary key, patient_id uuid not null, status text not null, revivable boolean not null default false);
    create table if not exists test_payable_calls (
      seq bigserial primary key, payable_id uuid not null, payment_id uuid not null, handler text not null, result text);`);
  const payments = paymentsOf(t);
  const record = (tx: Tx, p: PaymentForHandler, handler: string, result: string | null = null) =>
    tx.query(
      'insert into test_payable_calls (payable_id, payment_id, handler, result) values ($1, $2, $3, $4)',
      [p.payableId, p.id, handler, result],
    );
  const setStatus = (tx: Tx, id: string, status: string, from: string[]) =>
    tx.query('update test_payables set status = $2 where id = $1 and status = any($3)', [id, status, from]);
  const handlers: PayableHandlers = {
    async onSucceeded(tx, p) {
      await record(tx, p, 'succeeded');
      await setStatus(tx, p.payableId, 'active', ['pending']);
    },
    async onFailed(tx, p) {
      await record(tx, p, 'failed');
      await setStatus(tx, p.payableId, 'failed', ['pending']);
    },
    async onExpired(tx, p) {
      await record(tx, p, 'expired');
      await setStatus(tx, p.payableId, 'expired', ['pending']);
    },
    async onLate(tx, p) {
      const { rows } = await tx.query<{ revivable: boolean }>(
        'select revivable from test_payables where id = $1 for update',
        [p.payableId],
      );
      const result = rows[0]?.revivable ? 'fulfilled' : 'refund';
      if (result === 'fulfilled')
        await setStatus(tx, p.payableId, 'active', ['pending', 'expired', 'failed']);
      else await setStatus(tx, p.payableId, 'lapsed', ['pending', 'expired', 'failed']);
      await record(tx, p, 'late', result);
      return result;
    },
    async describe(id) {
      const { rows } = await t.platform.pool.query<{ status: string }>(
        'select status from test_payables where id = $1',
        [id],
      );
      return rows[0] ? { state: rows[0].status, paid: rows[0].status === 'active' } : null;
    },
  };
  payments.service.registerPayable('subscription', handlers);
  return handlers;
}

export const paymentsOf = (t: TestApp) => t.modules.find((m) => m.name === 'payments') as PaymentsModule;

/** A payable waiting for money, its CREATED payment and the opened checkout. */
export async function createPayable(
  t: TestApp,
  patientId: string,
  opts: {
    amount?: number;
    provider?: string;
    holdMinutes?: number;
    revivable?: boolean;
    open?: boolean;
  } = {},
) {
  const payments = paymentsOf(t).service;
  const payableId = randomUUID();
  const expiresAt = new Date(t.clock.now().getTime() + (opts.holdMinutes ?? 15) * 60_000);
  const { paymentId } = await t.platform.uow(async (tx) => {
    await tx.query('insert into test_payables (id, patient_id, status, revivable) values ($1, $2, $3, $4)', [
      payableId,
      patientId,
      'pending',
      opts.revivable ?? false,
    ]);
    return payments.preparePayment(tx, {
      payableKind: 'subscription',
      payableId,
      patientId,
      amount: { amount: opts.amount ?? 29900, currency: 'INR' },
      provider: opts.provider,
      expiresAt,
      description: 'Standard plan',
      idempotencyKey: `test-sub:${payableId}`,
    });
  });
  const checkout = opts.open === false ? null : await payments.openCheckout(paymentId);
  return { payableId, paymentId, checkout, expiresAt };
}

export async function payableState(t: TestApp, payableId: string) {
  const { rows } = await t.platform.pool.query('select status from test_payables where id = $1', [payableId]);
  const calls = await t.platform.pool.query<{ handler: string; result: string | null }>(
    'select handler, result from test_payable_calls where payable_id = $1 order by seq',
    [payableId],
  );
  return {
    status: rows[0]?.status as string,
    calls: calls.rows.map((c) => (c.result ? `${c.handler}:${c.result}` : c.handler)),
  };
}

export async function paymentRow(t: TestApp, paymentId: string) {
  const { rows } = await t.platform.pool.query('select * from payments where id = $1', [paymentId]);
  return rows[0];
}

/** Everything a rejected request must leave untouched, to compare before and after. */
export async function moneySnapshot(t: TestApp) {
  const q = (sql: string) => t.platform.pool.query(sql).then((r) => r.rows);
  return {
    payments: await q('select * from payments order by id'),
    refunds: await q('select * from refunds order by id'),
    events: await q('select * from webhook_events order by id'),
    calls: await q('select * from test_payable_calls order by seq'),
  };
}

export async function notificationsFor(t: TestApp, userId: string) {
  const { rows } = await t.platform.pool.query<{ template_id: string; idempotency_key: string }>(
    'select template_id, idempotency_key from notifications where user_id = $1 order by created_at, id',
    [userId],
  );
  return rows;
}

/** A sandbox gateway event, signed the way the sandbox gateway signs its deliveries. */
export function sandboxEvent(
  t: TestApp,
  checkoutId: string,
  type: string,
  opts: {
    id?: string;
    amountMinor?: number;
    paymentRef?: string;
    secret?: string;
    timestamp?: number;
    extra?: object;
  } = {},
) {
  const body = JSON.stringify({
    id: opts.id ?? `sbx_evt_${randomUUID().replace(/-/g, '')}`,
    type,
    created: Math.floor(t.clock.now().getTime() / 1000),
    data: {
      checkoutId,
      paymentRef: opts.paymentRef ?? `sbx_pay_${checkoutId.slice(4)}`,
      amountMinor: opts.amountMinor ?? 29900,
      currency: 'INR',
      ...opts.extra,
    },
  });
  const ts = opts.timestamp ?? Math.floor(t.clock.now().getTime() / 1000);
  const signature = signSandboxPayload(opts.secret ?? TEST_SECRETS.SANDBOX_WEBHOOK_SECRET, body, ts);
  return { body, headers: { 'content-type': 'application/json', 'x-sandbox-signature': signature } };
}

export const postWebhook = (
  t: TestApp,
  path: string,
  ev: { body: string; headers: Record<string, string> },
) => t.http.request('POST', path, { raw: ev.body, headers: ev.headers });
