import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/uow.js';
import {
  centres,
  clinicianCentres,
  clinicianListings,
  doctorPatientRelationships,
  patientSubscriptions,
  plans,
} from './catalog.table.js';

export type CentreRow = typeof centres.$inferSelect;
export type ListingRow = typeof clinicianListings.$inferSelect;
export type PlanRow = typeof plans.$inferSelect;
export type SubscriptionRow = typeof patientSubscriptions.$inferSelect;

/** A subscription joined with its plan from a row of nullable columns: null when there is none. */
function subscriptionOf(row: {
  planCode: string | null;
  status: SubscriptionRow['status'] | null;
  periodEnd: string | Date | null;
  bookingRule: PlanRow['bookingRule'] | null;
}) {
  const sub =
    row.planCode && row.status && row.bookingRule
      ? {
          planCode: row.planCode,
          status: row.status,
          periodEnd: row.periodEnd === null ? null : new Date(row.periodEnd),
          bookingRule: row.bookingRule,
        }
      : null;
  return { sub };
}

type PlanFactsRow = {
  planCode: string | null;
  status: SubscriptionRow['status'] | null;
  periodEnd: string | Date | null;
  bookingRule: PlanRow['bookingRule'] | null;
  hasRelationship: boolean;
};

/** The plan policy's facts in one row; `before`/`after`: more select-list columns in the same read. */
function planFactsQuery(clinicianId: string, patientId: string, more: { before?: SQL; after?: SQL } = {}) {
  return sql`
      select ${more.before ? sql`${more.before},` : sql``}
             s.plan_code as "planCode", s.status, s.period_end as "periodEnd", p.booking_rule as "bookingRule",
             exists (select 1 from ${doctorPatientRelationships} r
                      where r.clinician_id = ${clinicianId} and r.patient_id = ${patientId}) as "hasRelationship"
             ${more.after ? sql`, ${more.after}` : sql``}
        from (select 1) as one
        left join ${patientSubscriptions} s on s.patient_id = ${patientId}
        left join ${plans} p on p.code = s.plan_code`;
}

const centreColumns = {
  id: centres.id,
  name: centres.name,
  city: centres.city,
  address: centres.address,
  timeZone: centres.timeZone,
};

/** One query per method; every method takes the handle it runs on (the pool's or a transaction's). */
export const catalogRepository = {
  async listCentres(db: Db) {
    return db
      .select(centreColumns)
      .from(centres)
      .where(eq(centres.isActive, true))
      .orderBy(asc(centres.name));
  },

  async findCentre(db: Db, id: string) {
    const rows = await db.select(centreColumns).from(centres).where(eq(centres.id, id));
    return rows[0] ?? null;
  },

  async insertCentre(db: Db, row: typeof centres.$inferInsert) {
    const [created] = await db.insert(centres).values(row).returning(centreColumns);
    return created!;
  },

  /** Listings with their centres in one query (the slot search reads this on every request). */
  async listListingsWithCentres(db: Db, opts: { listedOnly: boolean; ids?: string[] }) {
    const res = await db.execute<{
      clinicianId: string;
      modes: string[];
      feeAmountMinor: number;
      currency: string;
      isListed: boolean;
      centres: Array<{ id: string; name: string; city: string; address: string; timeZone: string }>;
    }>(sql`
      select l.clinician_id as "clinicianId", l.modes, l.fee_amount_minor as "feeAmountMinor", l.currency,
             l.is_listed as "isListed",
             coalesce(json_agg(json_build_object('id', c.id, 'name', c.name, 'city', c.city,
                        'address', c.address, 'timeZone', c.time_zone) order by c.name)
                      filter (where c.id is not null), '[]') as centres
        from clinician_listings l
        left join clinician_centres cc on cc.clinician_id = l.clinician_id
        left join centres c on c.id = cc.centre_id
       where (${!opts.listedOnly} or l.is_listed)
         and (${sql.param(opts.ids ?? null)}::uuid[] is null or l.clinician_id = any(${sql.param(opts.ids ?? null)}::uuid[]))
       group by l.clinician_id`);
    return res.rows;
  },

  async upsertListing(db: Db, row: typeof clinicianListings.$inferInsert): Promise<void> {
    await db
      .insert(clinicianListings)
      .values(row)
      .onConflictDoUpdate({
        target: clinicianListings.clinicianId,
        set: {
          modes: row.modes,
          feeAmountMinor: row.feeAmountMinor,
          currency: row.currency,
          isListed: row.isListed,
          updatedAt: row.updatedAt,
        },
      });
  },

  async deleteClinicianCentres(db: Db, clinicianId: string): Promise<void> {
    await db.delete(clinicianCentres).where(eq(clinicianCentres.clinicianId, clinicianId));
  },

  async insertClinicianCentres(db: Db, clinicianId: string, centreIds: string[]): Promise<void> {
    if (centreIds.length === 0) return;
    await db.insert(clinicianCentres).values(centreIds.map((centreId) => ({ clinicianId, centreId })));
  },

  async countCentres(db: Db, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(centres)
      .where(and(inArray(centres.id, ids), eq(centres.isActive, true)));
    return rows[0]?.n ?? 0;
  },

  async listPlans(db: Db): Promise<PlanRow[]> {
    return db.select().from(plans).orderBy(asc(plans.code));
  },

  /** The patient's subscription with its plan's booking rule, in one query. */
  async findSubscriptionWithRule(db: Db, patientId: string) {
    const rows = await db
      .select({
        planCode: patientSubscriptions.planCode,
        status: patientSubscriptions.status,
        periodEnd: patientSubscriptions.periodEnd,
        bookingRule: plans.bookingRule,
      })
      .from(patientSubscriptions)
      .innerJoin(plans, eq(plans.code, patientSubscriptions.planCode))
      .where(eq(patientSubscriptions.patientId, patientId));
    return rows[0] ?? null;
  },

  /**
   * What a booking needs from the catalog in one read: the clinician's listing with its centres
   * (listed only; null otherwise) and the patient's plan facts (see planFacts). `also`: more
   * select-list columns another module's read carries along (returned in `row`, as selected).
   */
  async bookingFacts(db: Db, clinicianId: string, patientId: string, also?: SQL) {
    const res = await db.execute<
      PlanFactsRow & {
        listing: {
          modes: string[];
          feeAmountMinor: number;
          currency: string;
          isListed: boolean;
          centres: Array<{ id: string; name: string; city: string; address: string; timeZone: string }>;
        } | null;
      }
    >(
      planFactsQuery(clinicianId, patientId, {
        before: sql`(select json_build_object('modes', l.modes, 'feeAmountMinor', l.fee_amount_minor,
                'currency', l.currency, 'isListed', l.is_listed,
                'centres', coalesce((select json_agg(json_build_object('id', c.id, 'name', c.name, 'city', c.city,
                            'address', c.address, 'timeZone', c.time_zone) order by c.name)
                       from clinician_centres cc join centres c on c.id = cc.centre_id
                      where cc.clinician_id = l.clinician_id), '[]'))
                from clinician_listings l where l.clinician_id = ${clinicianId} and l.is_listed) as listing`,
        after: also,
      }),
    );
    const row = res.rows[0]!;
    return { listing: row.listing, ...subscriptionOf(row), hasRelationship: row.hasRelationship, row };
  },

  /** The patient's subscription with its plan's rule (or nulls) and whether the pair has a relationship: one read. */
  async planFacts(db: Db, patientId: string, clinicianId: string) {
    const res = await db.execute<PlanFactsRow>(planFactsQuery(clinicianId, patientId));
    const row = res.rows[0]!;
    return { ...subscriptionOf(row), hasRelationship: row.hasRelationship };
  },

  async findPlan(db: Db, code: string): Promise<PlanRow | null> {
    const rows = await db.select().from(plans).where(sql`${plans.code} = ${code}`);
    return rows[0] ?? null;
  },

  async upsertSubscription(db: Db, row: typeof patientSubscriptions.$inferInsert): Promise<SubscriptionRow> {
    const [saved] = await db
      .insert(patientSubscriptions)
      .values(row)
      .onConflictDoUpdate({
        target: patientSubscriptions.patientId,
        set: {
          planCode: row.planCode,
          status: row.status,
          periodEnd: row.periodEnd,
          updatedAt: row.updatedAt,
        },
      })
      .returning();
    return saved!;
  },

  async relationshipExists(db: Db, clinicianId: string, patientId: string): Promise<boolean> {
    const rows = await db
      .select({ id: doctorPatientRelationships.id })
      .from(doctorPatientRelationships)
      .where(
        and(
          eq(doctorPatientRelationships.clinicianId, clinicianId),
          eq(doctorPatientRelationships.patientId, patientId),
        ),
      );
    return rows.length > 0;
  },

  /** Idempotent: the pair is unique, a second insert returns the first row. */
  async insertRelationship(db: Db, row: typeof doctorPatientRelationships.$inferInsert) {
    const inserted = await db
      .insert(doctorPatientRelationships)
      .values(row)
      .onConflictDoNothing()
      .returning();
    if (inserted[0]) return { relationship: inserted[0], created: true };
    const existing = await db
      .select()
      .from(doctorPatientRelationships)
      .where(
        and(
          eq(doctorPatientRelationships.clinicianId, row.clinicianId),
          eq(doctorPatientRelationships.patientId, row.patientId),
        ),
      );
    return { relationship: existing[0]!, created: false };
  },
};
