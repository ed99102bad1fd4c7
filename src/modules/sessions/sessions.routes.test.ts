import { describe, expect, test } from 'vitest';
import { billingSceneForFile, openStream, subscribe } from '../../../test/billing/support.js';
import { catalogOf } from '../../../test/factories/booking.js';
import { createUser } from '../../../test/factories/identity.js';

const scene = billingSceneForFile({
  plans: { standard: { textCredits: 6, callCredits: 3, payoutPerBlockMinor: 5000 } },
});

describe('over HTTP: buy a plan, chat, blocks as time passes, wallet, payout, trial balance', () => {
  test('the whole journey', async () => {
    const { t, doc, patient, admin, moveMinutes } = scene;
    const http = t.http;
    const plans = await http.get('/api/plans');
    expect(plans.body.find((p: { code: string }) => p.code === 'standard')).toMatchObject({
      price: { amount: 49_900, currency: 'INR' },
      periodDays: 30,
      credits: { text: 6, call: 3 },
      bookingPolicy: 'pay',
    });
    // No credits yet: 402.
    const refused = await http.post('/api/sessions/text', { clinicianId: doc.id }, { token: patient.token });
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe('INSUFFICIENT_CREDITS');

    await subscribe(t, patient, 'standard');
    const sub = await http.get('/api/subscription', { token: patient.token });
    expect(sub.body).toMatchObject({
      plan: { code: 'standard' },
      status: 'ACTIVE',
      credits: { text: 6, call: 3 },
    });
    // Booking's plan policy reads the same plan.
    expect((await catalogOf(t).getPatientPlan(patient.id)).planCode).toBe('standard');

    const started = await http.post('/api/sessions/text', { clinicianId: doc.id }, { token: patient.token });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.session.id as string;
    expect(started.body.session).toMatchObject({ status: 'WAITING', funding: 'credits', blocksCharged: 0 });

    // Only the doctor activates.
    expect((await http.post(`/api/sessions/text/${id}/activate`, {}, { token: patient.token })).status).toBe(
      403,
    );
    const active = await http.post(`/api/sessions/text/${id}/activate`, {}, { token: doc.token });
    expect(active.body.session).toMatchObject({ status: 'ACTIVE', blocksCharged: 1 });

    // A message from the doctor reaches the patient's live stream.
    const stream = await openStream(t.url, patient.token);
    try {
      expect((await stream.next()).event).toBe('ready');
      const sent = await http.post(
        `/api/sessions/text/${id}/messages`,
        { body: 'Hello Asha' },
        { token: doc.token },
      );
      expect(sent.status).toBe(201);
      const ev = await stream.next();
      expect(ev.event).toBe('notification');
      const pushed = JSON.parse(ev.data);
      expect(pushed.template).toBe('session_message');
      expect(pushed.body).toContain(`(session ${id}): Hello Asha`);
    } finally {
      stream.close();
    }
    const msgs = await http.get(`/api/sessions/text/${id}/messages`, { token: patient.token });
    expect(msgs.body.items.map((m: { body: string }) => m.body)).toEqual(['Hello Asha']);
    expect(msgs.body.nextCursor).toBeNull();
    // Messages page oldest first with {items, nextCursor}.
    t.clock.advance(1000);
    const reply = await http.post(
      `/api/sessions/text/${id}/messages`,
      { body: 'Hi doctor' },
      { token: patient.token },
    );
    expect(reply.status).toBe(201);
    const p1 = await http.get(`/api/sessions/text/${id}/messages?limit=1`, { token: doc.token });
    expect(p1.body.items.map((m: { body: string }) => m.body)).toEqual(['Hello Asha']);
    const p2 = await http.get(`/api/sessions/text/${id}/messages?limit=1&cursor=${p1.body.nextCursor}`, {
      token: doc.token,
    });
    expect(p2.body).toMatchObject({ items: [{ body: 'Hi doctor' }], nextCursor: null });
    const badCursor = await http.get(`/api/sessions/text/${id}/messages?cursor=nonsense`, {
      token: doc.token,
    });
    expect(badCursor.body.code).toBe('CURSOR_INVALID');

    // Time passes; the job charges blocks 2 and 3.
    await moveMinutes(21);
    await t.runJobs({ names: ['sessions.tick'] });
    await t.platform.jobs.send({ name: 'sessions.tick', queue: {} }, {});
    await t.runJobs({ names: ['sessions.tick'] });
    const mid = await http.get(`/api/sessions/${id}`, { token: patient.token });
    expect(mid.body.blocksCharged).toBe(3);

    const ended = await http.post(`/api/sessions/text/${id}/end`, {}, { token: patient.token });
    expect(ended.body.session).toMatchObject({
      status: 'ENDED',
      blocksCharged: 3,
      endReason: 'PATIENT_ENDED',
    });
    expect((await http.get('/api/subscription', { token: patient.token })).body.credits.text).toBe(3);

    const wallet = await http.get('/api/wallet', { token: doc.token });
    expect(wallet.body.posted).toEqual({ amount: 15_000, currency: 'INR' });
    expect(wallet.body.pending).toEqual({ amount: 0, currency: 'INR' });
    expect(wallet.body.transactions).toHaveLength(3);
    expect(wallet.body.transactions[0]).toMatchObject({
      amount: { amount: 5000 },
      sessionId: id,
      kind: 'text_block_earning',
    });
    expect(wallet.body.nextCursor).toBeNull();
    // Older transactions page behind `nextCursor` (the reply keeps its `transactions` array).
    const w1 = await http.get('/api/wallet?limit=2', { token: doc.token });
    expect(w1.body.transactions).toHaveLength(2);
    const w2 = await http.get(`/api/wallet?limit=2&cursor=${w1.body.nextCursor}`, { token: doc.token });
    expect(w2.body.nextCursor).toBeNull();
    expect([...w1.body.transactions, ...w2.body.transactions].map((x: { id: string }) => x.id)).toEqual(
      wallet.body.transactions.map((x: { id: string }) => x.id),
    );
    expect((await http.get('/api/wallet?cursor=nonsense', { token: doc.token })).status).toBe(400);

    const over = await http.post(
      '/api/admin/payouts',
      { clinicianId: doc.id, amount: { amount: 15_001, currency: 'INR' }, reference: 'NEFT-1' },
      { token: admin.token },
    );
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('PAYOUT_EXCEEDS_BALANCE');
    // Two payouts of the whole balance at once: one wins.
    const both = await Promise.all(
      ['NEFT-2', 'NEFT-3'].map((reference) =>
        http.post(
          '/api/admin/payouts',
          { clinicianId: doc.id, amount: { amount: 15_000, currency: 'INR' }, reference },
          { token: admin.token },
        ),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await http.get('/api/wallet', { token: doc.token })).body.posted.amount).toBe(0);

    const tb = await http.get('/api/admin/ledger/trial-balance', { token: admin.token });
    expect(tb.status).toBe(200);
    expect(tb.body.balanced).toBe(true);
    for (const total of tb.body.totals) expect(total).toMatchObject({ posted: 0, pending: 0 });
    const kinds = Object.fromEntries(
      tb.body.rows
        .filter((r: { currency: string }) => r.currency === 'INR')
        .map((r: { kind: string; posted: number }) => [r.kind, r.posted]),
    );
    expect(kinds).toMatchObject({
      gateway_clearing: -49_900,
      deferred_revenue: 49_900 - 15_000,
      payouts: 15_000,
    });
  });
});

describe('edges', () => {
  test('401 before 400, 404 for another patient, bad input changes nothing', async () => {
    const { t, doc, patient } = scene;
    const http = t.http;
    expect((await http.post('/api/sessions/text', { nope: 1 })).status).toBe(401);
    const bad = await http.post(
      '/api/sessions/text',
      { clinicianId: doc.id, appointmentId: doc.id },
      { token: patient.token },
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const unknown = await http.post(
      '/api/sessions/call',
      { clinicianId: patient.id },
      { token: patient.token },
    );
    expect(unknown.status).toBe(404);
    const mine = await http.post('/api/sessions/call', { clinicianId: doc.id }, { token: patient.token });
    expect(mine.status).toBe(201);
    const stranger = await createUser(t, { role: 'patient' });
    expect((await http.get(`/api/sessions/${mine.body.session.id}`, { token: stranger.token })).status).toBe(
      404,
    );
    expect(
      (await http.post(`/api/sessions/call/${mine.body.session.id}/hangup`, {}, { token: stranger.token }))
        .status,
    ).toBe(404);
    expect(
      (await http.post(`/api/sessions/text/${mine.body.session.id}/end`, {}, { token: patient.token }))
        .status,
    ).toBe(404);
    expect((await http.get('/api/wallet', { token: patient.token })).status).toBe(403);
    expect(
      (await http.post('/api/subscriptions', { planCode: 'gold' }, { token: patient.token })).status,
    ).toBe(404);
    const sessions = await t.platform.pool.query('select count(*)::int as n from sessions');
    expect(sessions.rows[0].n).toBe(2);
  });
});
