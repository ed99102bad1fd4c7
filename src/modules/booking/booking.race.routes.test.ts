import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookableClinician, initiate, localSlot, renewTokens } from '../../../test/factories/booking.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { postWebhook, sandboxEvent } from '../../../test/payments/support.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { expireJob, sandboxDeliverJob } from '../payments/payments.jobs.js';

/**
 * Racing holds of one clinician (issue 12: `deadlock detected` in chaos): the exclusion check of
 * two concurrent overlapping inserts, and lapsed holds freed by each racer, deadlocked. Initiates
 * of one clinician now take turns on an advisory lock: every racer gets 201 or 409, never 500.
 */
describe('racing initiates for the same and neighbouring slots', () => {
  let t: TestApp;
  let doc: Awaited<ReturnType<typeof bookableClinician>>;
  beforeAll(async () => {
    t = await startTestApp();
    doc = await bookableClinician(t, { feeMinor: 50_000 });
  });
  afterAll(() => t?.close());

  test('40 patients on 4 slots, each slot freed from a lapsed failed hold: one winner per slot, no 500', async () => {
    const slots = ['09:00', '09:30', '10:00', '10:30'].map((hhmm) => localSlot(t, doc.timeZone, 2, hhmm));
    // Earlier holds on every slot, whose payments failed, now lapsed but not swept.
    const earlier = await Promise.all(slots.map(() => createUser(t, { role: 'patient' })));
    for (const [i, startAt] of slots.entries()) {
      const held = await initiate(t, earlier[i]!, { clinicianId: doc.id, startAt });
      expect(held.status).toBe(201);
      const fail = await fetch(`${t.url}/sandbox/checkout/${held.body.payment.orderId}/fail`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect(fail.status).toBe(303);
    }
    await t.runJobs({ names: [sandboxDeliverJob.name] });
    t.clock.advanceMinutes(16);

    const racers: TestUser[] = await Promise.all(
      Array.from({ length: 40 }, () => createUser(t, { role: 'patient' })),
    );
    await renewTokens(t, ...racers);
    const deadlocks = async () =>
      Number(
        (
          await t.platform.pool.query(
            'select deadlocks from pg_stat_database where datname = current_database()',
          )
        ).rows[0].deadlocks,
      );
    const deadlocksBefore = await deadlocks();
    const results = await Promise.allSettled(
      racers.map((p, i) => initiate(t, p, { clinicianId: doc.id, startAt: slots[i % slots.length]! })),
    );
    const replies = results.map((r) => {
      expect(r.status).toBe('fulfilled');
      return (r as PromiseFulfilledResult<Awaited<ReturnType<typeof initiate>>>).value;
    });
    expect(replies.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.body)).toEqual([]);
    // Not even a deadlock the unit of work retried away (PostgreSQL counts each one it broke).
    await new Promise((r) => setTimeout(r, 600)); // the statistics collector flushes about every 500 ms
    expect((await deadlocks()) - deadlocksBefore).toBe(0);
    for (const [i, startAt] of slots.entries()) {
      const mine = replies.filter((_, k) => k % slots.length === i);
      expect(mine.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of mine.filter((x) => x.status === 409)) expect(r.body.code).toBe('SLOT_UNAVAILABLE');
      const rows = await t.platform.pool.query(
        `select status from appointments where clinician_id = $1 and starts_at = $2 order by created_at`,
        [doc.id, startAt],
      );
      expect(rows.rows.map((r) => r.status)).toEqual(['EXPIRED', 'PENDING_PAYMENT']);
    }
  });

  test('late money confirming lapsed holds races new holds for the same slots: one owner per slot, money refunded otherwise', async () => {
    const slots = ['13:00', '13:30', '14:00', '14:30', '15:00'].map((hhmm) =>
      localSlot(t, doc.timeZone, 3, hhmm),
    );
    const owners = await Promise.all(slots.map(() => createUser(t, { role: 'patient' })));
    const held = [];
    for (const [i, startAt] of slots.entries()) {
      const h = await initiate(t, owners[i]!, { clinicianId: doc.id, startAt });
      expect(h.status).toBe(201);
      held.push(h.body as { appointment: { id: string }; payment: { orderId: string; paymentId: string } });
    }
    t.clock.advanceMinutes(16);
    // Their expiry asks the sandbox (nothing paid), closes the checkouts and releases the slots.
    await t.runJobs({ names: [expireJob.name] });
    const racers = await Promise.all(slots.map(() => createUser(t, { role: 'patient' })));
    await renewTokens(t, ...racers);
    const deadlocks = async () =>
      Number(
        (
          await t.platform.pool.query(
            'select deadlocks from pg_stat_database where datname = current_database()',
          )
        ).rows[0].deadlocks,
      );
    const before = await deadlocks();
    // Late money for every lapsed hold (a gateway that took it anyway) while others hold the slots.
    const results = await Promise.allSettled([
      ...held.map((h) =>
        postWebhook(
          t,
          '/api/payment/webhook/sandbox',
          sandboxEvent(t, h.payment.orderId, 'payment.succeeded', { amountMinor: 50_000 }),
        ),
      ),
      ...racers.map((p, i) => initiate(t, p, { clinicianId: doc.id, startAt: slots[i]! })),
    ]);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
    expect(statuses.filter((x) => ![200, 201, 409].includes(x))).toEqual([]);
    await new Promise((r) => setTimeout(r, 600));
    expect((await deadlocks()) - before).toBe(0);
    for (const [i, startAt] of slots.entries()) {
      const rows = await t.platform.pool.query(
        `select status from appointments where clinician_id = $1 and starts_at = $2 and status in ('PENDING_PAYMENT', 'CONFIRMED')`,
        [doc.id, startAt],
      );
      expect(rows.rows).toHaveLength(1);
      const late = await t.platform.pool.query('select late_outcome from payments where id = $1', [
        held[i]!.payment.paymentId,
      ]);
      // The late money either bought its slot back or is refunded, and the slot has one owner.
      const owner = rows.rows[0].status === 'CONFIRMED' ? 'late' : 'racer';
      expect(late.rows[0].late_outcome).toBe(owner === 'late' ? 'fulfilled' : 'refund');
    }
  });
});
