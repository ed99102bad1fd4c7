import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { z } from 'zod';
import { Errors } from './errors.js';

/**
 * Keyset paging for lists that grow without bound: `?limit=&cursor=` in, `{items, nextCursor}` out.
 * The cursor is opaque to clients: the sort key of the last item returned (base64url JSON), so a
 * page never repeats or skips a row when rows are added meanwhile. `nextCursor` is null on the last page.
 */

export type Cursor = Array<string | number>;

export const pageQuery = (opts: { defaultLimit?: number; maxLimit?: number } = {}) =>
  z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(opts.maxLimit ?? 200)
      .default(opts.defaultLimit ?? 50),
    cursor: z.string().trim().max(500).optional().describe('`nextCursor` of the previous page'),
  });

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });

/**
 * `to_char` format of an exact instant: PostgreSQL keeps microseconds, a JS Date only
 * milliseconds, so a cursor built from a Date can skip rows written in the same millisecond.
 */
export const INSTANT_TEXT_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/** Raw-SQL form of `exactInstant` for queries written as text (`expr` is a trusted column name). */
export const exactInstantSql = (expr: string): string =>
  `to_char(${expr} at time zone 'UTC', '${INSTANT_TEXT_FORMAT}')`;

/**
 * A timestamptz column read as ISO text at microsecond precision (`2026-12-01T05:17:09.123456Z`),
 * for the cursor of a list ordered by it: the cursor then names the row exactly.
 */
export const exactInstant = (column: SQLWrapper): SQL<string> =>
  sql<string>`to_char(${column} at time zone 'UTC', ${sql.raw(`'${INSTANT_TEXT_FORMAT}'`)})`;

export const encodeCursor = (key: Cursor): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/** What a cursor's key part must be: `instant` an ISO date-time, `uuid` a uuid (they reach SQL casts). */
export type CursorPart = 'string' | 'number' | 'instant' | 'uuid';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const fits = (k: unknown, part: CursorPart): boolean => {
  if (part === 'number') return typeof k === 'number' && Number.isFinite(k);
  if (typeof k !== 'string') return false;
  if (part === 'uuid') return UUID.test(k);
  if (part === 'instant') return /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(k) && !Number.isNaN(Date.parse(k));
  return true;
};

/**
 * The sort key in a cursor, or a 400 CURSOR_INVALID when it is not one this list handed out.
 * `shape`: the number of key parts, or what each part must be.
 */
export function decodeCursor(cursor: string | undefined, shape: number | CursorPart[]): Cursor | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const parts: CursorPart[] | undefined = typeof shape === 'number' ? undefined : shape;
  const arity = parts ? parts.length : (shape as number);
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(key) &&
      key.length === arity &&
      key.every((k, i) => (parts ? fits(k, parts[i]!) : fits(k, 'string') || fits(k, 'number')))
    )
      return key as Cursor;
  } catch {}
  throw Errors.badRequest(
    'CURSOR_INVALID',
    'The cursor is not one this list handed out; start from the first page.',
  );
}

/**
 * A page from rows fetched with `limit + 1` (the extra row only says there is a next page).
 * `keyOf` gives the sort key of a row, encoded as the next cursor.
 */
export function toPage<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => Cursor,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
