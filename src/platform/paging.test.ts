import { expect, test } from 'vitest';
import { AppError } from './errors.js';
import { decodeCursor, encodeCursor, pageQuery, toPage } from './paging.js';

test('a page of limit + 1 rows has a cursor naming its last row; a short page has none', () => {
  const rows = [1, 2, 3].map((n) => ({ at: `2030-01-0${n}`, id: `id-${n}` }));
  const page = toPage(rows, 2, (r) => [r.at, r.id]);
  expect(page.items).toEqual(rows.slice(0, 2));
  expect(decodeCursor(page.nextCursor!, 2)).toEqual(['2030-01-02', 'id-2']);
  expect(toPage(rows, 3, (r) => [r.at, r.id]).nextCursor).toBeNull();
});

test('a cursor this list did not hand out is a 400 CURSOR_INVALID', () => {
  for (const bad of [
    'x',
    encodeCursor(['a']),
    encodeCursor([{}] as never),
    Buffer.from('[1,').toString('base64url'),
  ]) {
    const err = (() => {
      try {
        decodeCursor(bad, 2);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CURSOR_INVALID');
  }
  expect(decodeCursor(undefined, 2)).toBeUndefined();
});

test('limit is bounded', () => {
  const q = pageQuery({ defaultLimit: 10, maxLimit: 20 });
  expect(q.parse({}).limit).toBe(10);
  expect(q.safeParse({ limit: '21' }).success).toBe(false);
  expect(q.safeParse({ limit: '0' }).success).toBe(false);
});

test('a cursor whose parts are not what the list sorts by is a 400, never reaching a SQL cast', () => {
  const shape = ['instant', 'uuid'] as const;
  const good = ['2030-01-02T03:04:05.000Z', '0b9c7d3e-1f2a-4b5c-8d6e-7f8091a2b3c4'];
  expect(decodeCursor(encodeCursor(good), [...shape])).toEqual(good);
  for (const bad of [
    ['2030-01-02T03:04:05.000Z', 'not-a-uuid'],
    ['yesterday', good[1]!],
    ['9999-99-99T99:99:99Z', good[1]!],
    [1, good[1]!],
  ]) {
    expect(() => decodeCursor(encodeCursor(bad as string[]), [...shape])).toThrow(AppError);
  }
});

test('an instant cursor part keeps microseconds', () => {
  const key = ['2026-11-30T10:00:00.123456Z', '00000000-0000-4000-8000-000000000001'];
  expect(decodeCursor(encodeCursor(key), ['instant', 'uuid'])).toEqual(key);
});
