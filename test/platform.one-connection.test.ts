import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConnectionOutsideUnitOfWork } from '../src/platform/db/uow.js';
import { bookableClinician, initiate, localSlot, paySandbox } from './factories/booking.js';
import { createUser, type TestUser } from './factories/identity.js';
import { postWebhook, sandboxEvent } from './payments/support.js';
import { startTestApp, type TestApp } from './support/app.js';

const ZONE = 'Asia/Kolkata';
const HOOK = '/api/payment/webhook/sandbox';

/**
 * Every unit of work on ONE connection per process (DATABASE_POOL_MAX=1). A service that read on
 * the pool while its own transaction is open would wait for the connection its transaction holds:
 * the guarded pool refuses that read at once (ConnectionOutsideUnitOfWork), and without the guard it
 * would hang. So the paid journey below, with 20 concurrent webhook deliveries per payment, the
 * receipts, confirmations, refunds, meetings and reminders all completing proves no unit of work
 * touches a second connection.
 */
describe('units of work on a pool of one connection', () => {
  let t: TestApp;
  let doc: TestUser;
  let patients: TestUser[];

  beforeAll(async () => {
    t = await startTestApp({ env: { DATABASE_POOL_MAX: '1' } });
    await createUser(t, { role: 'admin' });
    doc = await bookableClinician(t, { timeZone: ZONE, feeMinor: 29_900 });
    patients = await Promise.all([1, 2, 3].map(() => createUser(t, { role: 'patient' })));
  });
  afterAll(() => t?.close());

  test('the pool refuses a read from inside a unit of work, and a nested unit of work', async () => {
    await expect(t.platform.uow(() => t.platform.pool.query('select 1'))).rejects.toBeInstanceOf(
      ConnectionOutsideUnitOfWork,
    );
    await expect(t.platform.uow(() => t.platform.uow(async () => 1))).rejects.toBeInstanceOf(
      ConnectionOutsideUnitOfWork,
    );
    // After the commit (hooks) and outside, the pool is the pool again.
    let after = 0;
    await t.platform.uow(async (tx) => {
      tx.afterCommit(async () => {
        after = (await t.platform.pool.query<{ n: number }>('select 2 as n')).rows[0]!.n;
      });
    });
    expect(after).toBe(2);
    expect((await t.platform.pool.query<{ n: number }>('select 3 as n')).rows[0]!.n).toBe(3);
  });

  test('paid bookings under 20 concurrent webhook deliveries each, then cancel, reschedule, meeting, reminder', async () => {
    const starts = ['09:00', '10:00', '11:00'].map((hhmm) => localSlot(t, ZONE, 3, hhmm));
    const held = await Promise.all(
      patients.map((p, i) => initiate(t, p, { clinicianId: doc.id, startAt: starts[i] })),
    );
    expect(held.map((h) => h.status)).toEqual([201, 201, 201]);

    // The hosted page takes the money (so the gateway can refund it later); its webhooks arrive below.
    for (const h of held) await paySandbox(t, h.body.payment.orderId);
    const deliveries = held.flatMap((h) => {
      const ev = sandboxEvent(t, h.body.payment.orderId, 'payment.succeeded');
      return Array.from({ length: 20 }, () => postWebhook(t, HOOK, ev));
    });
    const results = await Promise.allSettled(deliveries);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value.body.outcome : ''));
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(3);

    const ids = held.map((h) => h.body.appointment.id as string);
    const status = async () =>
      (
        await t.platform.pool.query<{ id: string; status: string }>(
          'select id, status from appointments where id = any($1) order by starts_at',
          [ids],
        )
      ).rows.map((r) => r.status);
    expect(await status()).toEqual(['CONFIRMED', 'CONFIRMED', 'CONFIRMED']);

    const [first, second, third] = patients as [TestUser, TestUser, TestUser];
    const cancel = await t.http.post(
      `/api/patient-dashboard/appointments/${ids[0]}/cancel`,
      {},
      { token: first.token },
    );
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    const move = await t.http.post(
      `/api/appointments/${ids[1]}/reschedule`,
      { startAt: localSlot(t, ZONE, 4, '09:00') },
      { token: second.token },
    );
    expect(move.status, JSON.stringify(move.body)).toBe(200);
    await t.runJobs({ names: ['video.create_meeting', 'payments.refund', 'booking.remind'] });

    const { rows: jobs } = await t.platform.pool.query<{ n: number }>(
      `select count(*)::int as n from pgboss.job where state = 'failed'`,
    );
    expect(jobs[0]!.n).toBe(0);
    const { rows: refunds } = await t.platform.pool.query<{ status: string }>(
      `select r.status from refunds r join payments p on p.id = r.payment_id where p.payable_id = $1`,
      [ids[0]],
    );
    expect(refunds.map((r) => r.status)).toEqual(['PROCESSED']);
    const view = await t.http.get(`/api/patient-dashboard/appointments/${ids[2]}`, { token: third.token });
    expect(view.body.meetLink).toMatch(/^https:\/\//);
    const { rows: sent } = await t.platform.pool.query<{ template_id: string }>(
      `select distinct template_id from notifications where idempotency_key like $1 order by template_id`,
      [`appointment:${ids[2]}:%`],
    );
    expect(sent.map((r) => r.template_id)).toEqual(
      expect.arrayContaining([
        'admin_new_booking',
        'appointment_confirmed',
        'appointment_reminder',
        'meet_link',
      ]),
    );
  });
});
