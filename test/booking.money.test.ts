import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expireHoldsJob } from '../src/modules/booking/booking.jobs.js';
import { sandboxDeliverJob } from '../src/modules/payments/payments.jobs.js';
import type { Actor } from '../src/platform/auth.js';
import { bookableClinician, bookingOf, localSlot } from './factories/booking.js';
import { createUser, type TestUser } from './factories/identity.js';
import { startTestApp, type TestApp } from './support/app.js';

/**
 * Seeded random runs of holds, payments (callback or webhook, late or not), cancels, clock moves and
 * sweeps against the real app, checking money.md's booking invariants after every step:
 *  8. no two live appointments of one clinician overlap;
 *  9/10. captured money has exactly one outcome: the appointment it paid for is confirmed (or went
 *     on to complete / no-show), or the whole amount is refunded;
 *  a confirmed paid appointment's payment is SUCCEEDED.
 */
describe('booking money invariants (model-based)', () => {
  let t: TestApp;
  let doc: Awaited<ReturnType<typeof bookableClinician>>;
  let patients: TestUser[];
  const ZONE = 'Asia/Kolkata';

  beforeAll(async () => {
    t = await startTestApp();
    doc = await bookableClinician(t, { timeZone: ZONE });
    patients = [];
    for (let i = 0; i < 3; i++) patients.push(await createUser(t, { role: 'patient' }));
  });
  afterAll(() => t?.close());

  type Op =
    | { kind: 'initiate'; patient: number; slot: number }
    | { kind: 'pay'; which: number; via: 'callback' | 'webhook' }
    | { kind: 'cancel'; which: number }
    | { kind: 'advance'; minutes: number }
    | { kind: 'sweep' };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('initiate' as const), patient: fc.nat(2), slot: fc.nat(2) }),
    fc.record({
      kind: fc.constant('pay' as const),
      which: fc.nat(9),
      via: fc.constantFrom('callback' as const, 'webhook' as const),
    }),
    fc.record({ kind: fc.constant('cancel' as const), which: fc.nat(9) }),
    fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ kind: fc.constant('sweep' as const) }),
  );

  async function checkInvariants() {
    const { rows: overlaps } = await t.platform.pool.query(
      `select count(*)::int as n from appointments a join appointments b
         on a.clinician_id = b.clinician_id and a.id < b.id
        and tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
      where a.status in ('PENDING_PAYMENT', 'CONFIRMED') and b.status in ('PENDING_PAYMENT', 'CONFIRMED')`,
    );
    expect(overlaps[0].n).toBe(0);
    const { rows } = await t.platform.pool.query(
      `select p.id, p.status, p.captured_minor, a.status as appt, a.payment_id = p.id as linked,
              coalesce((select sum(r.amount_minor) from refunds r where r.payment_id = p.id), 0)::int as refunded
         from payments p join appointments a on a.id = p.payable_id
        where p.payable_kind = 'appointment'`,
    );
    for (const r of rows) {
      const captured = Number(r.captured_minor ?? 0);
      const kept = r.linked && ['CONFIRMED', 'COMPLETED', 'NO_SHOW'].includes(r.appt);
      if (r.appt === 'CONFIRMED' && r.linked) expect(r.status, JSON.stringify(r)).toBe('SUCCEEDED');
      if (captured > 0 && r.appt !== 'CANCELLED')
        expect(kept !== (r.refunded === captured), JSON.stringify(r)).toBe(true);
      if (captured > 0 && r.appt === 'CANCELLED') expect(r.refunded, JSON.stringify(r)).toBe(captured);
      expect(r.refunded).toBeLessThanOrEqual(captured);
    }
  }

  test('every step keeps the invariants', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 14 }), async (ops) => {
        run++;
        const held: Array<{ id: string; orderId: string; patient: TestUser }> = [];
        const actor = (p: TestUser): Actor => ({ userId: p.id, role: 'patient', sessionId: 'model' });
        // Each run books its own day, far enough ahead for the clock moves of one run.
        const slots = [0, 1, 2].map((i) => localSlot(t, ZONE, 2 + run, ['09:00', '09:30', '10:00'][i]!));
        for (const o of ops) {
          if (o.kind === 'initiate') {
            const p = patients[o.patient]!;
            const r = await bookingOf(t)
              .initiateBooking(actor(p), {
                clinicianId: doc.id,
                startAt: new Date(slots[o.slot]!),
                mode: 'online',
              })
              .catch((e) => e);
            if (r?.payment) held.push({ id: r.appointment.id, orderId: r.payment.orderId, patient: p });
            else expect([409]).toContain(r.status);
          } else if (o.kind === 'pay' && held.length) {
            const h = held[o.which % held.length]!;
            const res = await fetch(`${t.url}/sandbox/checkout/${h.orderId}/pay`, {
              method: 'POST',
              redirect: 'manual',
            });
            if (o.via === 'webhook') await t.runJobs({ names: [sandboxDeliverJob.name] });
            else if (res.status === 303) {
              const q = new URL(res.headers.get('location')!, t.url).searchParams;
              await bookingOf(t)
                .confirmBooking(actor(h.patient), {
                  appointmentId: h.id,
                  provider: 'sandbox',
                  orderId: h.orderId,
                  paymentId: q.get('paymentId')!,
                  signature: q.get('signature')!,
                })
                .catch(() => null);
            }
          } else if (o.kind === 'cancel' && held.length) {
            const h = held[o.which % held.length]!;
            await bookingOf(t)
              .cancelAppointment(actor(h.patient), h.id)
              .catch(() => null);
          } else if (o.kind === 'advance') t.clock.advanceMinutes(o.minutes);
          else if (o.kind === 'sweep') {
            await t.platform.jobs.send(expireHoldsJob, {});
            await t.runJobs({ names: [expireHoldsJob.name] });
          }
          await checkInvariants();
        }
        // Whatever is still queued (webhooks, expiries, refunds) runs late; the invariants still hold.
        await t.runJobs();
        await checkInvariants();
      }),
      { numRuns: 6, seed: Number(process.env.MODEL_SEED ?? 20300107), verbose: true },
    );
    // The runs did move money: some payments were captured, and some of those were refunded.
    const { rows } = await t.platform.pool.query(
      `select count(*) filter (where captured_minor > 0)::int as captured,
              (select count(*)::int from refunds) as refunds from payments`,
    );
    expect(rows[0].captured).toBeGreaterThan(0);
    expect(rows[0].refunds).toBeGreaterThan(0);
  });
});
