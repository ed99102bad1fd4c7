import { afterAll, beforeAll, expect, test } from 'vitest';
import { type ConsultScene, consultScene, onDemandConsultation } from '../factories/consultations.js';

let s: ConsultScene;
beforeAll(async () => {
  // Nobody on shift: every consultation waits unassigned in the shared queue.
  s = await consultScene({ doctors: 1 });
});
afterAll(() => s?.t.close());

type Page = { items: Array<{ id: string }>; nextCursor: string | null };
async function walk(path: string, token: string, limit: number, between?: () => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | null = '';
  let pages = 0;
  while (cursor !== null) {
    const res: { status: number; body: Page } = await s.t.http.get(
      `${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      { token },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    ids.push(...res.body.items.map((c) => c.id));
    cursor = res.body.nextCursor;
    if (pages++ === 0 && between) await between();
    expect(pages, 'paging did not end').toBeLessThan(100);
  }
  return { ids, pages };
}

test('consultation lists and the queue page with {items, nextCursor}, exact within one millisecond', async () => {
  const made: string[] = [];
  for (let i = 0; i < 4; i++) made.push((await onDemandConsultation(s.t, s.patient)).consultationId);
  // All four in one millisecond of the database clock, ids ordered against time, two exactly tied.
  const at = ['.123100', '.123200', '.123200', '.123300'];
  for (const [i, id] of made.entries())
    await s.t.platform.pool.query(`update consultations set created_at = $2 where id = $1`, [
      id,
      `2026-11-30T10:00:00${at[i]}Z`,
    ]);
  const order = async (desc: boolean) =>
    (
      await s.rows(
        `select id from consultations order by created_at ${desc ? 'desc' : 'asc'}, id ${desc ? 'desc' : 'asc'}`,
      )
    ).map((r) => r.id as string);

  const mine = await walk('/api/consultations', s.patient.token, 1);
  expect(mine.ids).toEqual(await order(true));
  expect(mine.pages).toBe(4);

  // One added while paging the queue (oldest first) lands on a later page, once.
  let added = '';
  const queue = await walk('/api/consultations/queue', s.doctors[0]!.token, 1, async () => {
    added = (await onDemandConsultation(s.t, s.patient)).consultationId;
  });
  expect(queue.ids).toEqual(await order(false));
  expect(queue.ids.at(-1)).toBe(added);

  const all = await walk('/api/consultations', s.admin.token, 2);
  expect(all.ids).toEqual(await order(true));
  expect(all.pages).toBe(3);

  const bad = await s.t.http.get('/api/consultations/queue?cursor=nonsense', { token: s.doctors[0]!.token });
  expect(bad.status).toBe(400);
  expect(bad.body.code).toBe('CURSOR_INVALID');
});
