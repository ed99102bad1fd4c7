import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookableClinician, initiate, localSlot, paySandbox } from '../../../test/factories/booking.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { postWebhook, sandboxEvent } from '../../../test/payments/support.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { sandboxDeliverJob } from '../payments/payments.jobs.js';

/** Issue 12, item 3: a live hold whose payment failed gets a fresh payment attempt. */
describe('a failed payment on a live hold can be retried', () => {
  let t: TestApp;
  let doc: Awaited<ReturnType<typeof bookableClinician>>;
  beforeAll(async () => {
    t = await startTestApp();
    doc = await bookableClinician(t, { feeMinor: 50_000 });
  });
  afterAll(() => t?.close());

  const q = async (sql: string, values: unknown[]) => (await t.platform.pool.query(sql, values)).rows;
  const fail = (orderId: string) =>
    fetch(`${t.url}/sandbox/checkout/${orderId}/fail`, { method: 'POST', redirect: 'manual' });
  const view = (p: TestUser, id: string) =>
    t.http.get(`/api/patient-dashboard/appointments/${id}`, { token: p.token });

  async function failedHold(hhmm: string, deliver: boolean) {
    const patient = await createUser(t, { role: 'patient' });
    const startAt = localSlot(t, doc.timeZone, 2, hhmm);
    const held = await initiate(t, patient, { clinicianId: doc.id, startAt });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect((await fail(held.body.payment.orderId)).status).toBe(303);
    if (deliver) await t.runJobs({ names: [sandboxDeliverJob.name] });
    return { patient, startAt, held: held.body };
  }

  async function retryAndPay(
    patient: TestUser,
    startAt: string,
    held: { appointment: { id: string }; payment: { orderId: string; paymentId: string } },
  ) {
    const again = await initiate(t, patient, { clinicianId: doc.id, startAt });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.appointment.id).toBe(held.appointment.id);
    expect(again.body.payment.orderId).not.toBe(held.payment.orderId);
    expect(again.body.payment.paymentId).not.toBe(held.payment.paymentId);
    // Asking again now returns the new attempt, not a third one.
    const replay = await initiate(t, patient, { clinicianId: doc.id, startAt });
    expect(replay.status).toBe(200);
    expect(replay.body.payment.orderId).toBe(again.body.payment.orderId);

    const proof = await paySandbox(t, again.body.payment.orderId);
    const confirmed = await t.http.post(
      '/api/booking/confirm',
      { appointmentId: held.appointment.id, ...proof },
      { token: patient.token },
    );
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body.appointment.status).toBe('CONFIRMED');
    await t.runJobs();
    return again.body.payment as { orderId: string; paymentId: string };
  }

  test('failed (webhook applied) -> initiate again -> a new checkout; paid once, confirmed once; the old checkout cannot be paid', async () => {
    const { patient, startAt, held } = await failedHold('09:00', true);
    expect((await view(patient, held.appointment.id)).body).toMatchObject({
      status: 'PENDING_PAYMENT',
      payment: { status: 'FAILED' },
    });
    const fresh = await retryAndPay(patient, startAt, held);
    const old = await fetch(`${t.url}/sandbox/checkout/${held.payment.orderId}/pay`, {
      method: 'POST',
      redirect: 'manual',
    });
    expect(old.status).toBe(409);
    // Both were made at the same test-clock instant: the failed one first.
    const payments = await q(`select id, status from payments where payable_id = $1 order by id = $2 desc`, [
      held.appointment.id,
      held.payment.paymentId,
    ]);
    expect(payments).toEqual([
      { id: held.payment.paymentId, status: 'FAILED' },
      { id: fresh.paymentId, status: 'SUCCEEDED' },
    ]);
    const confirmations = await q(
      `select count(*)::int as n from notifications where template_id = 'appointment_confirmed' and idempotency_key like $1`,
      [`appointment:${held.appointment.id}:confirmed:%`],
    );
    expect(confirmations[0].n).toBeGreaterThan(0);
    expect(
      await q(
        `select count(*)::int as n from refunds r join payments p on p.id = r.payment_id where p.payable_id = $1`,
        [held.appointment.id],
      ),
    ).toEqual([{ n: 0 }]);
  });

  test('failed at the gateway, its webhook not yet here: initiating again asks the gateway and opens a new attempt', async () => {
    const { patient, startAt, held } = await failedHold('10:00', false);
    expect((await q('select status from payments where id = $1', [held.payment.paymentId]))[0].status).toBe(
      'CREATED',
    );
    await retryAndPay(patient, startAt, held);
    expect((await view(patient, held.appointment.id)).body.status).toBe('CONFIRMED');
    const outcomes = await q(
      `select outcome from webhook_events where payload::text like $1 and provider = 'sandbox'`,
      [`%${held.payment.orderId}%`],
    );
    // The old attempt's failure arrived after the recheck had applied it: nothing more changed.
    expect(outcomes.map((o) => o.outcome)).toEqual(['stale_failed']);
  });

  test('money taken on the replaced checkout after all is refunded in full, never a second booking', async () => {
    const { patient, startAt, held } = await failedHold('11:00', true);
    const fresh = await retryAndPay(patient, startAt, held);
    // The gateway reports money on the old checkout anyway (a real gateway that could not close it).
    await q(`update sandbox_checkouts set status = 'paid', payment_ref = $2 where id = $1`, [
      held.payment.orderId,
      `sbx_pay_${held.payment.orderId.slice(4)}`,
    ]);
    const res = await postWebhook(
      t,
      '/api/payment/webhook/sandbox',
      sandboxEvent(t, held.payment.orderId, 'payment.succeeded', { amountMinor: 50_000 }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await t.runJobs();
    const rows = await q(
      `select p.id, p.status, p.late_outcome, coalesce(sum(r.amount_minor), 0)::int as refunded
         from payments p left join refunds r on r.payment_id = p.id
        where p.payable_id = $1 group by p.id order by p.id = $2 desc`,
      [held.appointment.id, held.payment.paymentId],
    );
    expect(rows).toEqual([
      { id: held.payment.paymentId, status: 'REFUNDED', late_outcome: 'refund', refunded: 50_000 },
      { id: fresh.paymentId, status: 'SUCCEEDED', late_outcome: null, refunded: 0 },
    ]);
    expect((await view(patient, held.appointment.id)).body.status).toBe('CONFIRMED');
  });

  test('the sandbox return page hands back the checkout’s real status, not the one in its query', async () => {
    const { held } = await failedHold('12:00', true);
    const page = await fetch(
      `${t.url}/sandbox/checkout/${held.payment.orderId}/done?orderId=${held.payment.orderId}&status=paid`,
    );
    const html = await page.text();
    expect(html).toContain('Payment failed');
    expect(html).toContain('status=failed');
    expect(html).not.toContain('status=paid');
  });
});
