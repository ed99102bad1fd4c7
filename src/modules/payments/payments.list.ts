import { and, desc, eq, getTableColumns, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/uow.js';
import { decodeCursor, exactInstant, toPage } from '../../platform/paging.js';
import { toSummary } from './payments.ports.js';
import type { PaymentStatus } from './payments.rules.js';
import { payments } from './payments.table.js';

export type AdminPaymentFilter = {
  status?: PaymentStatus;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
};

/**
 * Admins' payments list, newest first (`createdAt`, then id), a keyset page at a time:
 * `from`/`to` bound the creation time (to exclusive).
 */
export async function listPaymentsForAdmin(db: Db, f: AdminPaymentFilter) {
  const rows = await adminPaymentsQuery(db, f);
  const page = toPage(rows, f.limit, (p) => [p.cursorAt, p.id]);
  return { ...page, items: page.items.map(({ cursorAt: _, ...p }) => toSummary(p)) };
}

/** The page's one query (limit + 1 rows); indexes `payments_created` and `payments_status_created` serve it. */
export function adminPaymentsQuery(db: Db, f: AdminPaymentFilter) {
  const before = decodeCursor(f.cursor, ['instant', 'uuid']);
  const where: SQL[] = [];
  if (f.status) where.push(eq(payments.status, f.status));
  if (f.from) where.push(gte(payments.createdAt, f.from));
  if (f.to) where.push(lt(payments.createdAt, f.to));
  if (before)
    where.push(
      sql`(${payments.createdAt}, ${payments.id}) < (${String(before[0])}::timestamptz, ${String(before[1])}::uuid)`,
    );
  return db
    .select({ ...getTableColumns(payments), cursorAt: exactInstant(payments.createdAt) })
    .from(payments)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(payments.createdAt), desc(payments.id))
    .limit(f.limit + 1);
}
