import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BookingScene, bookAndPay, bookingScene } from '../../test/factories/booking.js';
import { createUser } from '../../test/factories/identity.js';
import { requestHash } from './idempotency.js';

let s: BookingScene;
beforeAll(async () => {
  s = await bookingScene();
});
afterAll(() => s?.t.close());

const count = async (sql: string, values: unknown[] = []) =>
  Number((await s.t.platform.pool.query(sql, values)).rows[0].n);

const hold = (token: string, key: string | undefined, body: Record<string, unknown>) =>
  s.t.http.post(
    '/api/booking/initiate',
    { mode: 'online', ...body },
    {
      token,
      headers: key === undefined ? {} : { 'idempotency-key': key },
    },
  );

describe('Idempotency-Key on money-creating POSTs', () => {
  test('the same key and body replays the first reply; no second hold or payment', async () => {
    const pat = await createUser(s.t, { role: 'patient' });
    const body = { clinicianId: s.doc.id, startAt: s.slot(3, '10:00') };
    const first = await hold(pat.token, 'key-replay-1', body);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await hold(pat.token, 'key-replay-1', {
      startAt: body.startAt,
      clinicianId: body.clinicianId,
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await count('select count(*) n from appointments where patient_id = $1', [pat.id])).toBe(1);
    expect(
      await count('select count(*) n from payments where payable_id = $1', [first.body.appointment.id]),
    ).toBe(1);
  });

  test('the same key with another body is a 409 IDEMPOTENCY_KEY_REUSED that changes nothing', async () => {
    const pat = await createUser(s.t, { role: 'patient' });
    const first = await hold(pat.token, 'key-reuse-1', {
      clinicianId: s.doc.id,
      startAt: s.slot(3, '11:00'),
    });
    expect(first.status).toBe(201);
    const other = await hold(pat.token, 'key-reuse-1', {
      clinicianId: s.doc.id,
      startAt: s.slot(3, '11:30'),
    });
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await count('select count(*) n from appointments where patient_id = $1', [pat.id])).toBe(1);
  });

  test('keys are per caller: another patient with the same key gets their own reply', async () => {
    const [a, b] = [await createUser(s.t), await createUser(s.t)];
    const ra = await hold(a.token, 'shared-key', { clinicianId: s.doc.id, startAt: s.slot(4, '10:00') });
    const rb = await hold(b.token, 'shared-key', { clinicianId: s.doc.id, startAt: s.slot(4, '10:30') });
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(rb.headers.get('idempotent-replayed')).toBeNull();
  });

  test('parallel retries with one key make one hold', async () => {
    const pat = await createUser(s.t, { role: 'patient' });
    const body = { clinicianId: s.doc.id, startAt: s.slot(5, '10:00') };
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => hold(pat.token, 'key-par', body)),
    );
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
    expect(statuses.filter((x) => x === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((x) => x === 201 || x === 409)).toBe(true);
    for (const r of results)
      if (r.status === 'fulfilled' && r.value.status === 409)
        expect(r.value.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect(await count('select count(*) n from appointments where patient_id = $1', [pat.id])).toBe(1);
  });

  test('an invalid key is a 400; no key keeps the old behaviour', async () => {
    const pat = await createUser(s.t, { role: 'patient' });
    const bad = await hold(pat.token, 'x'.repeat(300), {
      clinicianId: s.doc.id,
      startAt: s.slot(6, '10:00'),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('IDEMPOTENCY_KEY_INVALID');
    const plain = await hold(pat.token, undefined, { clinicianId: s.doc.id, startAt: s.slot(6, '10:00') });
    expect(plain.status).toBe(201);
  });

  test('a refund retried with the same key refunds once', async () => {
    const c = await bookAndPay(s.t, s.bob, s.doc.id, s.slot(7, '10:00'));
    const send = (amount: number) =>
      s.t.http.post(
        `/api/admin/payments/${c.paymentId}/refunds`,
        { amount, reason: 'goodwill', idempotencyKey: 'refund-body-key-1' },
        { token: s.admin.token, headers: { 'idempotency-key': 'refund-header-1' } },
      );
    const first = await send(1000);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await send(1000);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect((await send(2000)).body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await count('select count(*) n from refunds where payment_id = $1', [c.paymentId])).toBe(1);
  });

  test('the OpenAPI document declares the header and the 409', async () => {
    const doc = (await s.t.http.get('/openapi.json')).body;
    for (const [path, method] of [
      ['/api/booking/initiate', 'post'],
      ['/api/payment/create-order', 'post'],
      ['/api/admin/payments/{id}/refunds', 'post'],
    ] as const) {
      const op = doc.paths[path][method];
      expect(op.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
      expect(op.responses['409']).toBeDefined();
      expect(op.description).toContain('IDEMPOTENCY_KEY_REUSED');
    }
  });
});

test('the fingerprint ignores key order and sees any other change', () => {
  expect(requestHash('POST', '/a', { x: 1, y: [1, { b: 2, a: 1 }] })).toBe(
    requestHash('POST', '/a', { y: [1, { a: 1, b: 2 }], x: 1 }),
  );
  expect(requestHash('POST', '/a', { x: 1 })).not.toBe(requestHash('POST', '/a', { x: 2 }));
  expect(requestHash('POST', '/a', { x: 1 })).not.toBe(requestHash('POST', '/b', { x: 1 }));
});
