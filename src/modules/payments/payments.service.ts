import { randomUUID } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Tx } from '../../platform/db/uow.js';
import { AppError, Errors } from '../../platform/errors.js';
import type { Money } from '../../platform/money.js';
import { GatewayRejected, type PaymentFact, type Provider, verificationFailed } from './gateways/types.js';
import { applyPaymentFact, type PayableRegistry } from './payments.apply.js';
import { makeCapture } from './payments.capture.js';
import { expireJob } from './payments.jobs.js';
import { type AdminPaymentFilter, listPaymentsForAdmin } from './payments.list.js';
import { listPaidPayables, type PaidPayablesQuery } from './payments.paid.js';
import {
  type PayableHandlers,
  type PayableKind,
  type PaymentSummary,
  type PaymentsDeps,
  type RefundListener,
  toSummary,
} from './payments.ports.js';
import { makeReconciler } from './payments.reconcile.js';
import { makeRefunds } from './payments.refunds.js';
import { type PaymentRow, paymentsRepository } from './payments.repository.js';
import type { LedgerReconciliation } from './payments.schemas.js';
import { PAYABLE_KINDS, PROVIDERS } from './payments.table.js';
import { makeWebhookInbox } from './payments.webhooks.js';

export type PreparePaymentInput = {
  payableKind: PayableKind;
  payableId: string;
  patientId: string;
  amount: Money;
  provider?: string;
  expiresAt: Date;
  description: string;
  idempotencyKey: string;
  /** The payment's id, when the payable made it up front (to store it with its own row in one write). */
  paymentId?: string;
};

/** What `preparePayment` made; hand it to `openCheckout` after the commit to spare a read. */
export type PreparedPayment = { paymentId: string; row: PaymentRow };

export type CheckoutInfo = {
  paymentId: string;
  provider: Provider;
  orderId: string;
  amount: number;
  currency: string;
  keyId?: string;
  checkoutUrl?: string;
  expiresAt: Date;
};

const gatewayDown = () =>
  Errors.upstream('PAYMENT_GATEWAY_UNAVAILABLE', 'The payment gateway did not answer; try again shortly.');

export function createPaymentsService(deps: PaymentsDeps) {
  const payables: PayableRegistry = new Map();
  const readDb = drizzle(deps.pool, { casing: 'snake_case' });
  const readRepo = paymentsRepository(readDb);
  const read = () => readRepo;
  const refundListeners: RefundListener[] = [];
  let ledgerReport: (() => Promise<LedgerReconciliation>) | undefined;
  const refunds = makeRefunds(deps, refundListeners);
  const applyDeps = { ...deps, payables };
  const inbox = makeWebhookInbox(deps, applyDeps, refunds);
  const reconciler = makeReconciler(deps, applyDeps, payables, refunds);
  const capturePayment = makeCapture(deps, applyDeps);

  function registerPayable(kind: PayableKind, handlers: PayableHandlers): void {
    if (!PAYABLE_KINDS.includes(kind)) throw new Error(`unknown payable kind ${kind}`);
    if (payables.has(kind))
      deps.log.warn({ kind }, 'payable kind registered again; the last registration wins');
    payables.set(kind, handlers);
  }

  function providerOf(given?: string): Provider {
    const provider = (given ?? deps.gateways.defaultProvider) as Provider;
    if (!PROVIDERS.includes(provider) || !deps.gateways.available().includes(provider))
      throw new AppError(400, 'PAYMENT_PROVIDER_UNAVAILABLE', `The ${given} gateway is not available here.`);
    return provider;
  }

  /**
   * Inside the payable's transaction: a CREATED payment and its expiry job; no network. With the
   * sandbox its checkout too (the sandbox's "remote" side is a table of ours), in the same statement.
   */
  async function preparePayment(tx: Tx, input: PreparePaymentInput): Promise<PreparedPayment> {
    const now = deps.clock.now();
    const { amount } = input;
    if (!Number.isSafeInteger(amount.amount) || amount.amount <= 0)
      throw Errors.badRequest('PAYMENT_AMOUNT_INVALID', 'A payment needs a positive amount in minor units.');
    if (!payables.has(input.payableKind))
      throw new Error(`payable kind ${input.payableKind} is not registered`);
    const repo = paymentsRepository(tx.db);
    const provider = providerOf(input.provider);
    const values = {
      id: input.paymentId ?? randomUUID(),
      patientId: input.patientId,
      payableKind: input.payableKind,
      payableId: input.payableId,
      provider,
      amountMinor: amount.amount,
      currency: amount.currency.toUpperCase(),
      description: input.description.slice(0, 200),
      idempotencyKey: input.idempotencyKey,
      expiresAt: input.expiresAt,
      createdAt: now,
      updatedAt: now,
    };
    // The sandbox's checkout is a row of ours: written with the payment, so openCheckout has nothing
    // to do. The expiry job too: one statement for all three (issue 12: a paid initiate's round trips).
    const local = deps.gateways.get(provider).localCheckout?.(values.id);
    const job = await deps.jobs.sendStatement(
      expireJob,
      { paymentId: values.id },
      { startAfter: input.expiresAt },
    );
    const inserted = await repo.insertPayment(local ? { ...values, ...local } : values, {
      sandboxCheckout: !!local,
      job,
    });
    if (!inserted) {
      const existing = (await repo.findByIdempotencyKey(input.idempotencyKey))!;
      if (existing.payableId !== input.payableId || existing.amountMinor !== amount.amount)
        throw Errors.conflict('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was used for another payment.');
      return { paymentId: existing.id, row: existing };
    }
    return { paymentId: inserted.id, row: inserted };
  }

  const checkoutInfo = (p: PaymentRow): CheckoutInfo => ({
    paymentId: p.id,
    provider: p.provider,
    orderId: p.orderId!,
    amount: p.amountMinor,
    currency: p.currency,
    ...(p.provider === 'razorpay' && deps.config.payments.razorpay
      ? { keyId: deps.config.payments.razorpay.keyId }
      : {}),
    ...(p.checkoutUrl ? { checkoutUrl: p.checkoutUrl } : {}),
    expiresAt: p.expiresAt,
  });

  async function customerRef(p: PaymentRow): Promise<string | undefined> {
    const gateway = deps.gateways.get(p.provider);
    if (!gateway.ensureCustomer) return undefined;
    const repo = read();
    const known = await repo.findCustomer(p.patientId, p.provider);
    if (known) return known.customerRef;
    const user = await deps.identity.getUser(p.patientId);
    const ref = await gateway.ensureCustomer({
      patientId: p.patientId,
      name: user?.fullName,
      email: user?.email,
      phone: user?.phone,
    });
    await repo.insertCustomer({
      patientId: p.patientId,
      provider: p.provider,
      customerRef: ref,
      createdAt: deps.clock.now(),
    });
    return (await repo.findCustomer(p.patientId, p.provider))!.customerRef;
  }

  /** After the payable's commit: creates the gateway order or session once (network, no transaction). */
  async function openCheckout(payment: string | PreparedPayment): Promise<CheckoutInfo> {
    const now = deps.clock.now();
    const paymentId = typeof payment === 'string' ? payment : payment.paymentId;
    const p = typeof payment === 'string' ? await read().findById(paymentId) : payment.row;
    if (!p) throw Errors.notFound('Payment', paymentId);
    if (p.orderId) return checkoutInfo(p);
    if (p.status !== 'CREATED' || p.expiresAt.getTime() <= now.getTime())
      throw Errors.conflict('PAYMENT_NOT_OPEN', 'This payment can no longer be paid.');
    try {
      const result = await deps.gateways.get(p.provider).createCheckout({
        paymentId: p.id,
        amountMinor: p.amountMinor,
        currency: p.currency,
        description: p.description,
        expiresAt: p.expiresAt,
        now,
        customer: { patientId: p.patientId, customerRef: await customerRef(p) },
      });
      // Two racing calls: the first stored order wins and both return it.
      const stored = await read().attachCheckout(
        p.id,
        { orderId: result.orderId, checkoutUrl: result.checkoutUrl ?? null },
        now,
      );
      if (stored) return checkoutInfo(stored);
    } catch (err) {
      if (err instanceof AppError) throw err;
      deps.log.warn(
        { err: err instanceof GatewayRejected ? err.message : err, paymentId },
        'checkout failed',
      );
      throw gatewayDown();
    }
    return checkoutInfo((await read().findById(paymentId))!);
  }

  /**
   * The checkout's success callback. The order id checked is the one WE stored for this payable;
   * the client's must equal it. Applies the verified fact through the webhook's code path.
   *
   * A valid callback for a payment the gateway has authorised but not captured yet (Razorpay) is
   * not bad input: the capture is queued in the same transaction (one job per authorisation, shared
   * with the webhook and the reconciler) and the payment is returned still unpaid with
   * `awaiting: 'capture'`. A caller that cannot show that state (`allowPending` unset) gets
   * 409 PAYMENT_CAPTURE_PENDING instead; the capture still completes on its own.
   */
  async function verifyClientCallback(
    input: {
      provider: string;
      orderId: string;
      paymentId: string;
      signature: string;
      payableKind: string;
      payableId: string;
    },
    opts: { allowPending?: boolean } = {},
  ): Promise<PaymentSummary & { awaiting: 'capture' | null }> {
    const p = await read().latestForPayable(input.payableKind as PayableKind, input.payableId);
    if (!p?.orderId || p.provider !== input.provider || p.orderId !== input.orderId)
      throw verificationFailed();
    let fact: PaymentFact;
    try {
      fact = await deps.gateways.get(p.provider).verifyClientCallback({
        orderId: p.orderId,
        paymentRef: input.paymentId,
        signature: input.signature,
      });
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof GatewayRejected) throw verificationFailed();
      throw gatewayDown();
    }
    if (fact.amountMinor !== p.amountMinor || (fact.currency && fact.currency.toUpperCase() !== p.currency))
      throw verificationFailed('The paid amount does not match this payment.');
    const now = deps.clock.now();
    const { outcome, updated } = await deps.uow(async (tx) => {
      const locked = (await paymentsRepository(tx.db).findForUpdate(p.id))!;
      const outcome = await applyPaymentFact(applyDeps, tx, locked, fact, now);
      return { outcome, updated: (await paymentsRepository(tx.db).findById(p.id))! };
    });
    const awaiting = outcome === 'capture_queued' ? ('capture' as const) : null;
    if (awaiting && !opts.allowPending)
      throw Errors.conflict(
        'PAYMENT_CAPTURE_PENDING',
        'The payment is authorised and being captured; it completes by itself shortly.',
      );
    return { ...toSummary(updated), awaiting };
  }

  /**
   * Asks the gateway about an open payment the payable is about to hand out again (the same hold
   * initiated twice): a failure whose webhook has not arrived yet is applied now, so the payable can
   * open a fresh attempt. True when the payment is no longer open. A gateway that does not answer
   * changes nothing.
   */
  async function recheckOpenPayment(paymentId: string): Promise<boolean> {
    const p = await read().findById(paymentId);
    if (!p?.orderId || p.status !== 'CREATED') return false;
    const status = await deps.gateways
      .get(p.provider)
      .fetchStatus({ orderId: p.orderId, paymentRef: p.gatewayPaymentRef })
      .catch((err) => {
        deps.log.warn({ err, paymentId }, 'could not ask the gateway about an open payment');
        return null;
      });
    if (status?.state !== 'failed') return false;
    const fact: PaymentFact = { outcome: 'failed', orderId: p.orderId, paymentRef: status.paymentRef };
    const now = deps.clock.now();
    const outcome = await deps.uow(async (tx) => {
      const locked = (await paymentsRepository(tx.db).findForUpdate(p.id))!;
      return applyPaymentFact(applyDeps, tx, locked, fact, now);
    });
    return outcome === 'failed';
  }

  /** Closes a replaced attempt's checkout where the gateway can (best effort: later money is late and refunded). */
  async function closeCheckout(paymentId: string): Promise<void> {
    const p = await read().findById(paymentId);
    if (!p?.orderId) return;
    await deps.gateways
      .get(p.provider)
      .expire({ orderId: p.orderId })
      .catch((err) => deps.log.warn({ err, paymentId }, 'could not close a replaced checkout'));
  }

  async function getForPayable(kind: string, id: string) {
    const p = await read().latestForPayable(kind as PayableKind, id);
    return p ? toSummary(p) : null;
  }

  async function getById(id: string) {
    const p = await read().findById(id);
    return p ? toSummary(p) : null;
  }

  async function adminRefund(
    paymentId: string,
    body: { amount?: number; reason: string; idempotencyKey: string },
  ) {
    return deps.uow((tx) => refunds.requestRefund(tx, { paymentId, ...body, source: 'admin' }));
  }

  return {
    registerPayable,
    /** Hears every processed refund (billing's ledger); registered at composition, before any request. */
    onRefunded: (listener: RefundListener) => void refundListeners.push(listener),
    adminRefund,
    preparePayment,
    openCheckout,
    recheckOpenPayment,
    closeCheckout,
    verifyClientCallback,
    requestRefund: refunds.requestRefund,
    refundRemainder: refunds.refundRemainder,
    getForPayable,
    getById,
    listRefunds: (paymentId: string) => read().listRefunds(paymentId),
    listForAdmin: (f: AdminPaymentFilter) => listPaymentsForAdmin(readDb, f),
    /** Captured payments their payables accepted (billing's reconciliation against the ledger). */
    listPaidPayables: (q?: PaidPayablesQuery) => listPaidPayables(readDb, q),
    ingestWebhook: inbox.ingest,
    processRefund: refunds.processRefund,
    capturePayment,
    settleOverdue: reconciler.settle,
    reconcileDue: reconciler.reconcileDue,
    /** Payments vs payables, plus the ledger's side when billing added it. */
    reconciliationReport: async (opts?: { limit?: number }) => {
      const report = await reconciler.report(opts);
      return ledgerReport ? { ...report, ledger: await ledgerReport() } : report;
    },
    addToReconciliation(fn: () => Promise<LedgerReconciliation>) {
      ledgerReport = fn;
    },
  };
}
export type PaymentsService = ReturnType<typeof createPaymentsService>;
