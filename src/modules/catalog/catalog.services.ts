import { and, asc, eq, gt } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { AuthGuard } from '../../platform/auth.js';
import { sqlStateOf, type Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { AppModule, Platform } from '../../platform/module.js';
import type { Money } from '../../platform/money.js';
import type { IdentityService } from '../identity/index.js';
import { serviceCatalogRoutes } from './catalog.services.routes.js';
import { type BILL_TIMINGS, type SERVICE_WORKFLOWS, serviceCatalog } from './catalog.table.js';

export type ServiceWorkflow = (typeof SERVICE_WORKFLOWS)[number];
export type BillTiming = (typeof BILL_TIMINGS)[number];

/** One service of the catalog as other modules and the API see it. */
export type CatalogServiceEntry = {
  code: string;
  name: string;
  workflowType: ServiceWorkflow;
  billTiming: BillTiming;
  autoAssignDoctorId: string | null;
  isActive: boolean;
  price: Money;
};

export type NewServiceEntry = Omit<CatalogServiceEntry, 'autoAssignDoctorId'> & {
  autoAssignDoctorId?: string | null;
};
export type ServicePatch = Partial<Omit<CatalogServiceEntry, 'code'>>;

type Row = typeof serviceCatalog.$inferSelect;
const toEntry = (r: Row): CatalogServiceEntry => ({
  code: r.code,
  name: r.name,
  workflowType: r.workflowType,
  billTiming: r.billTiming,
  autoAssignDoctorId: r.autoAssignDoctorId,
  isActive: r.isActive,
  price: { amount: r.priceMinor, currency: r.currency },
});

export type ServiceCatalogDeps = Pick<Platform, 'config' | 'clock' | 'pool'> & {
  /** identity.service.getUser: an auto-assigned doctor must be an active clinician. */
  getUser: IdentityService['getUser'];
};

/** The service catalog (seed 002): admin CRUD, the public active list, and lookups for consultations. */
export function createServiceCatalog(deps: ServiceCatalogDeps) {
  const db = drizzle(deps.pool, { casing: 'snake_case' });

  async function check(entry: {
    price?: Money;
    autoAssignDoctorId?: string | null;
    workflowType?: string;
    billTiming?: string;
  }) {
    const errors = [];
    if (entry.price && entry.price.currency.toUpperCase() !== deps.config.currency)
      errors.push({ path: 'body.price.currency', message: `must be ${deps.config.currency}` });
    if (entry.price && entry.price.amount <= 0)
      errors.push({ path: 'body.price.amount', message: 'must be positive' });
    if (entry.autoAssignDoctorId) {
      const user = await deps.getUser(entry.autoAssignDoctorId);
      if (user?.role !== 'clinician' || user.isActive === false)
        errors.push({ path: 'body.autoAssignDoctorId', message: 'is not an active clinician' });
    }
    if (entry.workflowType && entry.workflowType !== 'GOPD_CONSULT' && entry.billTiming === 'AFTER')
      errors.push({ path: 'body.billTiming', message: 'on-demand consultations are paid BEFORE' });
    if (errors.length) throw Errors.validation('The service is not valid.', errors);
  }

  /** `on`: read on the caller's transaction instead of the pool. */
  async function get(code: string, on?: Pick<Tx, 'db'>): Promise<CatalogServiceEntry | null> {
    const [row] = await (on?.db ?? db).select().from(serviceCatalog).where(eq(serviceCatalog.code, code));
    return row ? toEntry(row) : null;
  }

  return {
    get,
    async listActive(): Promise<CatalogServiceEntry[]> {
      const rows = await db
        .select()
        .from(serviceCatalog)
        .where(eq(serviceCatalog.isActive, true))
        .orderBy(asc(serviceCatalog.code));
      return rows.map(toEntry);
    },
    async listAll(opts: { limit: number; cursor?: string }) {
      const rows = await db
        .select()
        .from(serviceCatalog)
        .where(opts.cursor ? gt(serviceCatalog.code, opts.cursor) : undefined)
        .orderBy(asc(serviceCatalog.code))
        .limit(opts.limit + 1);
      const items = rows.slice(0, opts.limit).map(toEntry);
      return { items, nextCursor: rows.length > opts.limit ? items.at(-1)!.code : null };
    },
    /** The active service that prices an on-demand consultation type (oldest code first if several). */
    async findActiveByWorkflow(workflowType: ServiceWorkflow): Promise<CatalogServiceEntry | null> {
      const [row] = await db
        .select()
        .from(serviceCatalog)
        .where(and(eq(serviceCatalog.workflowType, workflowType), eq(serviceCatalog.isActive, true)))
        .orderBy(asc(serviceCatalog.createdAt), asc(serviceCatalog.code))
        .limit(1);
      return row ? toEntry(row) : null;
    },
    async create(entry: NewServiceEntry): Promise<CatalogServiceEntry> {
      await check(entry);
      const now = deps.clock.now();
      try {
        const [row] = await db
          .insert(serviceCatalog)
          .values({
            code: entry.code,
            name: entry.name,
            workflowType: entry.workflowType,
            billTiming: entry.billTiming,
            autoAssignDoctorId: entry.autoAssignDoctorId ?? null,
            isActive: entry.isActive,
            priceMinor: entry.price.amount,
            currency: entry.price.currency.toUpperCase(),
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        return toEntry(row!);
      } catch (err) {
        if (sqlStateOf(err) === '23505')
          throw Errors.conflict('SERVICE_CODE_TAKEN', `A service with code ${entry.code} already exists.`);
        throw err;
      }
    },
    async update(code: string, patch: ServicePatch): Promise<CatalogServiceEntry> {
      const current = await get(code);
      if (!current) throw Errors.notFound('Service', code);
      await check({
        ...patch,
        workflowType: patch.workflowType ?? current.workflowType,
        billTiming: patch.billTiming ?? current.billTiming,
      });
      const [row] = await db
        .update(serviceCatalog)
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.workflowType !== undefined ? { workflowType: patch.workflowType } : {}),
          ...(patch.billTiming !== undefined ? { billTiming: patch.billTiming } : {}),
          ...(patch.autoAssignDoctorId !== undefined ? { autoAssignDoctorId: patch.autoAssignDoctorId } : {}),
          ...(patch.isActive !== undefined ? { isActive: patch.isActive } : {}),
          ...(patch.price
            ? { priceMinor: patch.price.amount, currency: patch.price.currency.toUpperCase() }
            : {}),
          updatedAt: deps.clock.now(),
        })
        .where(eq(serviceCatalog.code, code))
        .returning();
      return toEntry(row!);
    },
  };
}

export type ServiceCatalog = ReturnType<typeof createServiceCatalog>;
export type ServiceCatalogModule = AppModule & { service: ServiceCatalog };

/** The service catalog as its own small module next to catalog (routes under /api/services, /api/admin/services). */
export function createServiceCatalogModule(
  deps: ServiceCatalogDeps & { auth: AuthGuard },
): ServiceCatalogModule {
  const service = createServiceCatalog(deps);
  return { name: 'service-catalog', service, routes: serviceCatalogRoutes({ auth: deps.auth, service }) };
}
