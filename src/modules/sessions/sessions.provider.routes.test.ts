import { beforeAll, describe, expect, test } from 'vitest';
import { billingSceneForFile, subscribe } from '../../../test/billing/support.js';
import { signProviderCallback } from './sessions.provider.js';

const SECRET = 'call-provider-secret-for-tests-0123456789abcdef';
const scene = billingSceneForFile({
  env: { CALL_PROVIDER_WEBHOOK_SECRET: SECRET },
  plans: { standard: { textCredits: 3, callCredits: 6, payoutPerBlockMinor: 5000 } },
});
beforeAll(async () => {
  await subscribe(scene.t, scene.patient, 'standard');
});

const PATH = '/api/sessions/call/provider/hangup';
const nowSeconds = () => Math.floor(scene.t.clock.now().getTime() / 1000);
function callback(
  sessionId: string,
  opts: { secret?: string; ts?: number; raw?: string; headers?: Record<string, string> } = {},
) {
  const raw = JSON.stringify({ sessionId });
  const ts = opts.ts ?? nowSeconds();
  const headers = opts.headers ?? {
    'x-call-timestamp': String(ts),
    'x-call-signature': signProviderCallback(opts.secret ?? SECRET, ts, raw),
  };
  return scene.t.http.request('POST', PATH, {
    raw: opts.raw ?? raw,
    headers: { 'content-type': 'application/json', ...headers },
  });
}
const state = async (id: string) =>
  (
    await scene.t.platform.pool.query(
      `select s.status, s.blocks_charged as "blocksCharged", s.ended_at as "endedAt", s.end_reason as "endReason",
         (select count(*)::int from ledger_transfers t where t.session_id = s.id) as transfers
       from sessions s where s.id = $1`,
      [id],
    )
  ).rows[0];

describe('the call provider hangup callback (signed, idempotent, racing a party)', () => {
  test('forged, tampered, stale or unsigned callbacks are 401 and change nothing; a valid one racing the patient ends the call once', async () => {
    const { t, doc, patient, moveMinutes } = scene;
    const started = await t.http.post(
      '/api/sessions/call',
      { clinicianId: doc.id },
      { token: patient.token },
    );
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.session.id as string;
    expect((await t.http.post(`/api/sessions/call/${id}/connect`, {}, { token: doc.token })).status).toBe(
      200,
    );
    await moveMinutes(25);
    const before = await state(id);
    expect(before.status).toBe('CONNECTED');

    const ts = nowSeconds();
    const signedRaw = JSON.stringify({ sessionId: id });
    const refusals = [
      await callback(id, { secret: 'another-secret-of-the-same-length-0123456789abc' }),
      // One byte of the body changed after signing.
      await callback(id, {
        raw: signedRaw.replace(/.$/, ' '),
        headers: {
          'x-call-timestamp': String(ts),
          'x-call-signature': signProviderCallback(SECRET, ts, signedRaw),
        },
      }),
      await callback(id, { ts: ts - 301 }),
      await callback(id, { ts: ts + 301 }),
      await callback(id, { headers: {} }),
      await callback(id, { headers: { 'x-call-timestamp': String(ts), 'x-call-signature': '' } }),
      await callback(id, { headers: { 'x-call-timestamp': 'yesterday', 'x-call-signature': 'v1=00' } }),
    ];
    for (const r of refusals) {
      expect(r.status, JSON.stringify(r.body)).toBe(401);
      expect(r.body.code).toBe('CALL_SIGNATURE_INVALID');
    }
    expect(await state(id)).toEqual(before);

    // A valid callback and the patient's hangup at once: both answer, the call ends once.
    const [viaProvider, viaPatient] = await Promise.allSettled([
      callback(id),
      t.http.post(`/api/sessions/call/${id}/hangup`, {}, { token: patient.token }),
    ]);
    expect(viaProvider.status === 'fulfilled' && viaProvider.value.status).toBe(200);
    expect(viaPatient.status === 'fulfilled' && viaPatient.value.status).toBe(200);
    const ended = await state(id);
    expect(ended).toMatchObject({ status: 'ENDED', blocksCharged: 3 });
    expect(['PROVIDER_HANGUP', 'PATIENT_ENDED']).toContain(ended.endReason);
    const blocks = await t.platform.pool.query(
      `select idempotency_key as key from ledger_transfers where session_id = $1 and cause = 'call_block' order by key`,
      [id],
    );
    expect(blocks.rows.map((r) => r.key)).toEqual([1, 2, 3].map((n) => `call:${id}:block:${n}`));

    // Replayed (inside the window) and repeated later: the ended call, nothing charged again.
    const replay = await callback(id);
    expect(replay.status).toBe(200);
    expect(replay.body.session).toMatchObject({ id, status: 'ENDED', blocksCharged: 3 });
    await moveMinutes(30);
    expect((await callback(id)).status).toBe(200);
    expect(await state(id)).toEqual(ended);
  });

  test('a signed callback for an unknown session is 404; a signed body without a sessionId is 400', async () => {
    const unknown = await callback('00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    const ts = nowSeconds();
    const raw = JSON.stringify({ call: 'x' });
    const bad = await callback('ignored', {
      raw,
      headers: { 'x-call-timestamp': String(ts), 'x-call-signature': signProviderCallback(SECRET, ts, raw) },
    });
    expect(bad.status).toBe(400);
  });
});
