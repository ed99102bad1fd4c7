import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type ConsultScene,
  consultScene,
  onDemandConsultation,
} from '../../../test/factories/consultations.js';
import type { TestUser } from '../../../test/factories/identity.js';
import { openStream, type SseStream } from '../../../test/support/sse.js';

const ref = (id: string) => `C-${id.slice(0, 8).toUpperCase()}`;

describe('the shared queue, live over the notification stream (issue 14)', () => {
  let s: ConsultScene;
  let docA: TestUser;
  let docB: TestUser;
  let docC: TestUser;
  const streams: SseStream[] = [];

  /** A live stream: `ready` means this instance LISTENs, so nothing committed afterwards is missed. */
  async function live(user: TestUser): Promise<SseStream> {
    const stream = await openStream(s.t.url, user.token);
    streams.push(stream);
    expect(stream.res.status).toBe(200);
    expect((await stream.next(10_000)).event).toBe('ready');
    return stream;
  }
  const queueOf = async (user: TestUser) =>
    (await s.t.http.get('/api/consultations/queue', { token: user.token })).body.items.map((c: any) => c.id);

  beforeAll(async () => {
    // Nobody on shift: every consultation lands unassigned in the shared queue.
    s = await consultScene({ doctors: 3 });
    [docA, docB, docC] = s.doctors as [TestUser, TestUser, TestUser];
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await s?.t.close();
  });

  test('two doctors race to claim: one wins; the loser and the admins see it leave, the winner is not told', async () => {
    const [a, b, admin] = [await live(docA), await live(docB), await live(s.admin)];
    const { consultationId: id } = await onDemandConsultation(s.t, s.patient);
    for (const stream of [a, b, admin])
      expect(await stream.nextNotification()).toMatchObject({ template: 'consultation_queued' });

    const results = await Promise.allSettled([
      s.t.http.post(`/api/consultations/${id}/claim`, undefined, { token: docA.token }),
      s.t.http.post(`/api/consultations/${id}/claim`, undefined, { token: docB.token }),
    ]);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 0));
    expect(statuses.sort()).toEqual([200, 409]);
    const aWon = results[0].status === 'fulfilled' && results[0].value.status === 200;
    const [winner, loser] = aWon ? [a, b] : [b, a];
    const [winnerDoc, loserDoc] = aWon ? [docA, docB] : [docB, docA];

    for (const stream of [loser, admin]) {
      const taken = await stream.nextNotification();
      expect(taken.template).toBe('consultation_taken');
      expect(taken.body).toContain(ref(id));
      expect(taken.body).toContain(winnerDoc === docA ? 'Dr. Test 1' : 'Dr. Test 2');
    }
    expect(await queueOf(loserDoc)).not.toContain(id);
    expect(await queueOf(winnerDoc)).toContain(id);

    // The winner's next event is the next new entry: it was never told its own claim left the queue.
    const { consultationId: next } = await onDemandConsultation(s.t, s.patient);
    const after = await winner.nextNotification();
    expect(after).toMatchObject({ template: 'consultation_queued' });
    expect(after.body).toContain(ref(next));
    for (const stream of [loser, admin])
      expect(await stream.nextNotification()).toMatchObject({ template: 'consultation_queued' });
    const [{ count }] = await s.rows(
      "select count(*)::int as count from notifications where template_id = 'consultation_taken' and idempotency_key like $1",
      [`consultation:${id}:taken:%`],
    );
    // Doctor C and the admin are told besides the loser; never the winner.
    expect(count).toBe(3);
  });

  test('an admin assigns one: that doctor gets consultation_assigned, every other doctor consultation_taken', async () => {
    const [a, b, c] = [await live(docA), await live(docB), await live(docC)];
    const { consultationId: id } = await onDemandConsultation(s.t, s.patient);
    for (const stream of [a, b, c])
      expect(await stream.nextNotification()).toMatchObject({ template: 'consultation_queued' });

    const res = await s.t.http.post(
      `/api/consultations/${id}/assign`,
      { doctorId: docC.id },
      { token: s.admin.token },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ doctorId: docC.id, status: 'PENDING', pendingReason: 'doctor_review' });

    expect(await c.nextNotification()).toMatchObject({ template: 'consultation_assigned' });
    for (const stream of [a, b]) {
      const taken = await stream.nextNotification();
      expect(taken).toMatchObject({ template: 'consultation_taken' });
      expect(taken.body).toContain(ref(id));
    }
    expect(await queueOf(docA)).not.toContain(id);
    expect(await queueOf(docC)).toContain(id);
    const [row] = await s.rows(
      "select count(*)::int as count from audit_log where action = 'consultation.assign' and resource_id = $1",
      [id],
    );
    expect(row.count).toBe(1);

    // Taken already: 409, nothing more sent.
    const again = await s.t.http.post(
      `/api/consultations/${id}/assign`,
      { doctorId: docA.id },
      { token: s.admin.token },
    );
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_ASSIGNED');
  });

  test('assigning to someone who is not an active doctor, or by a doctor, changes nothing', async () => {
    const { consultationId: id } = await onDemandConsultation(s.t, s.patient);
    const assign = (doctorId: string, token = s.admin.token) =>
      s.t.http.post(`/api/consultations/${id}/assign`, { doctorId }, { token });

    const notDoctor = await assign(s.patient.id);
    expect(notDoctor.status).toBe(400);
    expect(notDoctor.headers.get('content-type')).toContain('application/problem+json');
    expect((await assign('not-a-uuid')).status).toBe(400);
    expect((await assign('00000000-0000-4000-8000-000000000000')).status).toBe(400);
    expect((await assign(docA.id, docB.token)).status).toBe(403);

    const [row] = await s.rows('select doctor_id from consultations where id = $1', [id]);
    expect(row.doctor_id).toBeNull();
    const [{ count }] = await s.rows(
      'select count(*)::int as count from notifications where idempotency_key like $1',
      [`consultation:${id}:taken:%`],
    );
    expect(count).toBe(0);
    expect(await queueOf(docA)).toContain(id);
  });
});
