import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BookingScene, bookAndPay, bookingScene } from '../../../test/factories/booking.js';
import { createUser } from '../../../test/factories/identity.js';

const HOUR = 3_600_000;

describe('the clinic cancels at any time', () => {
  let s: BookingScene;
  beforeAll(async () => {
    s = await bookingScene();
  });
  afterAll(() => s?.t.close());

  test.each([
    ['clinician', 'doc'],
    ['admin', 'admin'],
  ] as const)('the %s cancels within 24 h with a full refund and the patient is told', async (_role, who) => {
    const { t, slot, rows, moveTo } = s;
    const actor = s[who];
    // A patient of their own, so their notification feed holds only this case's messages.
    const pat = await createUser(t, { role: 'patient' });
    const c = await bookAndPay(t, pat, s.doc.id, slot(2, '11:00'));
    const start = new Date(c.startAt).getTime();
    await moveTo(start - 2 * HOUR, pat);
    const byPatient = await t.http.post(
      `/api/patient-dashboard/appointments/${c.id}/cancel`,
      {},
      { token: pat.token },
    );
    expect(byPatient.status).toBe(409);
    expect(byPatient.body.code).toBe('CANCELLATION_WINDOW_CLOSED');

    const res = await t.http.post(
      `/api/patient-dashboard/appointments/${c.id}/cancel`,
      { reason: 'Clinician unwell' },
      { token: actor.token },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.appointment).toMatchObject({
      id: c.id,
      status: 'CANCELLED',
      cancelReason: 'Clinician unwell',
    });
    expect(res.body.refund).toMatchObject({ amount: { amount: 50_000, currency: 'INR' } });
    const [row] = await rows(
      'select status, cancelled_by_user_id, remind_at from appointments where id = $1',
      [c.id],
    );
    expect(row).toMatchObject({ status: 'CANCELLED', cancelled_by_user_id: actor.id, remind_at: null });
    const refunds = await rows('select id, amount_minor from refunds where payment_id = $1', [c.paymentId]);
    expect(refunds.map((r) => [r.id, Number(r.amount_minor)])).toEqual([[res.body.refund.refundId, 50_000]]);

    // The patient is told, on every channel the template routes to, and sees it in the app.
    const told = await rows(
      `select user_id, channel from notifications where template_id = 'appointment_cancelled' and idempotency_key = $1`,
      [`appointment:${c.id}:cancelled:patient`],
    );
    expect(told.length).toBeGreaterThan(0);
    expect(told.every((n) => n.user_id === pat.id)).toBe(true);
    expect(told.map((n) => n.channel)).toContain('in_app');
    const feed = await t.http.get('/api/notifications?limit=100', { token: pat.token });
    expect(feed.status).toBe(200);
    const cancelled = feed.body.items.filter((n: any) => n.template === 'appointment_cancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0].body).toContain('Clinician unwell');
    expect(cancelled[0].body).toContain('Refund:');

    // The gateway refund runs: the payment reads REFUNDED in full on the patient's dashboard.
    await t.runJobs({ names: ['payments.refund'] });
    const view = await t.http.get(`/api/patient-dashboard/appointments/${c.id}`, { token: pat.token });
    expect(view.body).toMatchObject({ status: 'CANCELLED', payment: { status: 'REFUNDED', amount: 50_000 } });
    // Its reminder is dropped: the queued job sends nothing.
    await t.runJobs({ names: ['booking.remind'] });
    const reminded = await rows(
      `select count(*)::int as n from notifications where template_id = 'appointment_reminder' and idempotency_key like $1`,
      [`appointment:${c.id}:%`],
    );
    expect(reminded[0].n).toBe(0);
  });
});
