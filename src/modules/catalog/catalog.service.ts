import { type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { IANAZone } from 'luxon';
import type { Db, Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { type Money, money } from '../../platform/money.js';
import { type CatalogIdentity, type ClinicianProfile, clinicianProfiles } from './catalog.ports.js';
import { catalogRepository as repo } from './catalog.repository.js';
import { type BookingPolicy, bookingPolicyFor, effectivePlan, type PlanCode } from './catalog.rules.js';

export type Mode = 'online' | 'in_person';
export type Centre = { id: string; name: string; city: string; address: string; timeZone: string };
export type Clinician = {
  id: string;
  fullName: string;
  specialization: string;
  timeZone: string;
  fee: Money;
  modes: Mode[];
  centres: Centre[];
  isListed: boolean;
  /** From identity's profile: what the clinician search shows about them. */
  bio: string | null;
  languages: string[];
};
export type ClinicianFilter = { specialization?: string; centreId?: string; mode?: Mode; q?: string };

const CACHE_MAX = 10_000;

type PlanFacts = Awaited<ReturnType<typeof repo.planFacts>>;

export type CatalogDeps = Pick<Platform, 'config' | 'clock' | 'pool' | 'uow'> & { identity: CatalogIdentity };

/** A clinician as catalog shows it: identity's profile with its listing. */
function toClinician(
  p: Pick<ClinicianProfile, 'id' | 'fullName' | 'specialization' | 'timeZone' | 'bio' | 'languages'>,
  l: {
    feeAmountMinor: number;
    currency: string;
    modes: string[];
    centres: Clinician['centres'];
    isListed: boolean;
  },
): Clinician {
  return {
    id: p.id,
    fullName: p.fullName,
    specialization: p.specialization,
    timeZone: p.timeZone,
    fee: money(l.feeAmountMinor, l.currency),
    modes: l.modes as Mode[],
    centres: l.centres,
    isListed: l.isListed,
    bio: p.bio,
    languages: p.languages,
  };
}

export function createCatalogService(deps: CatalogDeps) {
  // Infrastructure cache (wall time, not the domain clock): entries only for callers that ask.
  const cache = new Map<string, { at: number; value: Clinician | null }>();
  // Reads outside a unit of work run on the pool; writes go through units of work.
  const read: Db = drizzle(deps.pool, { casing: 'snake_case' });

  /**
   * Identity's profiles joined with listings and their centres: identity's lookup and one catalog
   * query, in parallel. `ids` omitted: every listed clinician. `on`: the caller's transaction.
   */
  async function assemble(
    ids: string[] | undefined,
    opts: { listedOnly: boolean; on?: Pick<Tx, 'db'> },
  ): Promise<Clinician[]> {
    if (ids?.length === 0) return [];
    const listingsQuery = { listedOnly: opts.listedOnly, ids };
    // On the pool the two reads run in parallel; on a transaction's one connection, one after the other.
    const [profiles, listings] = opts.on
      ? [
          await clinicianProfiles(deps.identity.within(opts.on), ids),
          await repo.listListingsWithCentres(opts.on.db, listingsQuery),
        ]
      : await Promise.all([
          clinicianProfiles(deps.identity, ids),
          repo.listListingsWithCentres(read, listingsQuery),
        ]);
    const byId = new Map(listings.map((l) => [l.clinicianId, l]));
    const out: Clinician[] = [];
    for (const p of profiles) {
      const l = byId.get(p.id);
      if (!l || !p.isActive) continue;
      out.push(toClinician(p, l));
    }
    return out;
  }

  /** Seed 001's policy from a patient's plan facts, as of now. */
  function policyOf({ sub, hasRelationship }: PlanFacts): { planCode: PlanCode; policy: BookingPolicy } {
    const now = deps.clock.now();
    const planCode = effectivePlan(sub && { ...sub, planCode: sub.planCode as PlanCode }, now);
    const rule = planCode === 'none' ? 'pay_or_refuse' : sub!.bookingRule;
    return {
      planCode,
      policy: bookingPolicyFor({ rule, requirePlan: deps.config.booking.requirePlan, hasRelationship }),
    };
  }

  return {
    listCentres: () => repo.listCentres(read),
    getCentre: (id: string): Promise<Centre | null> => repo.findCentre(read, id),

    async createCentre(input: Omit<Centre, 'id'>): Promise<Centre> {
      if (!IANAZone.isValidZone(input.timeZone))
        throw Errors.validation(`Unknown time zone ${input.timeZone}.`, [
          { path: 'body.timeZone', message: 'is not an IANA time zone' },
        ]);
      return deps.uow((tx) => repo.insertCentre(tx.db, input));
    },

    /**
     * A bookable clinician: listed, active, with a catalog entry; null otherwise. `maxAgeMs` lets a
     * read-mostly caller (slot listing) take an entry cached that long; writes here clear the cache.
     */
    async getClinician(
      id: string,
      opts: { includeUnlisted?: boolean; maxAgeMs?: number } = {},
    ): Promise<Clinician | null> {
      const key = `${id}|${opts.includeUnlisted ? 'all' : 'listed'}`;
      const hit = opts.maxAgeMs ? cache.get(key) : undefined;
      if (hit && performance.now() - hit.at <= opts.maxAgeMs!) return hit.value;
      const [c] = await assemble([id], { listedOnly: !opts.includeUnlisted });
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(key, { at: performance.now(), value: c ?? null });
      return c ?? null;
    },

    /** Reads on the caller's transaction (inside its unit of work): never cached, never the pool. */
    within: (tx: Pick<Tx, 'db'>) => ({
      async getClinician(id: string, opts: { includeUnlisted?: boolean } = {}): Promise<Clinician | null> {
        const [c] = await assemble([id], { listedOnly: !opts.includeUnlisted, on: tx });
        return c ?? null;
      },
      getPlan: (code: string) => repo.findPlan(tx.db, code),
    }),

    /** Several clinicians by id (listed ones only unless asked). */
    async getClinicians(ids: string[], opts: { includeUnlisted?: boolean } = {}): Promise<Clinician[]> {
      if (ids.length === 0) return [];
      return assemble(ids, { listedOnly: !opts.includeUnlisted });
    },

    async listClinicians(filter: ClinicianFilter): Promise<Clinician[]> {
      const all = await assemble(undefined, { listedOnly: true });
      const q = filter.q?.toLowerCase();
      const spec = filter.specialization?.toLowerCase();
      return all.filter(
        (c) =>
          (!spec || c.specialization.toLowerCase() === spec) &&
          (!filter.mode || c.modes.includes(filter.mode)) &&
          (!filter.centreId || c.centres.some((x) => x.id === filter.centreId)) &&
          (!q || c.fullName.toLowerCase().includes(q) || c.specialization.toLowerCase().includes(q)),
      );
    },

    /** Admin: a clinician's modes, fee, centres and visibility, replaced as a whole. */
    async setListing(
      clinicianId: string,
      input: { modes: Mode[]; fee: Money; centreIds: string[]; isListed: boolean },
    ): Promise<Clinician> {
      const [profile] = await clinicianProfiles(deps.identity, [clinicianId]);
      if (!profile) throw Errors.notFound('Clinician', clinicianId);
      const centreIds = [...new Set(input.centreIds)];
      if (input.modes.includes('in_person') && centreIds.length === 0)
        throw Errors.validation('In-person consultations need at least one centre.', [
          { path: 'body.centreIds', message: 'must name a centre for in_person' },
        ]);
      if (input.fee.currency !== deps.config.currency)
        throw Errors.validation(`Fees are in ${deps.config.currency}.`, [
          { path: 'body.fee.currency', message: `must be ${deps.config.currency}` },
        ]);
      const now = deps.clock.now();
      await deps.uow(async (tx) => {
        if ((await repo.countCentres(tx.db, centreIds)) !== centreIds.length)
          throw Errors.validation('Unknown centre.', [
            { path: 'body.centreIds', message: 'names an unknown centre' },
          ]);
        await repo.upsertListing(tx.db, {
          clinicianId,
          modes: [...new Set(input.modes)],
          feeAmountMinor: input.fee.amount,
          currency: input.fee.currency,
          isListed: input.isListed,
          updatedAt: now,
        });
        await repo.deleteClinicianCentres(tx.db, clinicianId);
        await repo.insertClinicianCentres(tx.db, clinicianId, centreIds);
        tx.afterCommit(() => cache.clear());
      });
      const [saved] = await assemble([profile.id], { listedOnly: false });
      return saved!;
    },

    async listPlans() {
      const currency = deps.config.currency;
      return (await repo.listPlans(read)).map((p) => ({
        ...p,
        price: money(p.priceMinor, currency),
        credits: { text: p.textCredits, call: p.callCredits },
        payoutPerBlock: money(p.payoutPerBlockMinor, currency),
        bookingPolicy: p.bookingRule,
      }));
    },
    /** A plan with its billing terms (billing sells plans; booking reads the same rows). */
    getPlan: (code: string) => repo.findPlan(read, code),

    /** Billing, in its transaction: the patient's current plan follows their subscription. */
    async recordSubscription(
      tx: Tx,
      input: { patientId: string; planCode: string; status: 'active' | 'expired'; periodEnd: Date },
    ) {
      await repo.upsertSubscription(tx.db, { ...input, updatedAt: deps.clock.now() });
    },

    async getPatientPlan(patientId: string) {
      const sub = await repo.findSubscriptionWithRule(read, patientId);
      const now = deps.clock.now();
      return {
        planCode: effectivePlan(sub && { ...sub, planCode: sub.planCode as PlanCode }, now),
        subscription: sub && {
          planCode: sub.planCode as PlanCode,
          status: sub.status,
          periodEnd: sub.periodEnd,
        },
      };
    },

    /**
     * A booking's catalog reads, fresh, in one round trip (identity's clinician as a column of
     * its own, the listing and the patient's plan): the bookable clinician (null when not
     * listed or not active) and the plan policy as `planPolicyFor` gives it. `also`: select-list
     * columns of another module carried by the catalog query (one round trip; e.g. scheduling's
     * `slotScheduleRead`), returned as selected in `also`.
     */
    async bookingFacts(clinicianId: string, patientId: string, opts: { also?: SQL } = {}) {
      const profile = deps.identity.clinicianProfileColumn(clinicianId, 'clinicianProfile');
      const facts = await repo.bookingFacts(
        read,
        clinicianId,
        patientId,
        opts.also ? sql`${profile}, ${opts.also}` : profile,
      );
      const also = facts.row as Record<string, unknown>;
      const p = also.clinicianProfile as
        | (Omit<ClinicianProfile, 'fullName'> & { fullName: string | null })
        | null;
      const l = facts.listing;
      const clinician: Clinician | null =
        p && l
          ? toClinician(
              { ...p, fullName: p.fullName ?? '', bio: p.bio ?? null, languages: p.languages ?? [] },
              l,
            )
          : null;
      return { clinician, plan: policyOf(facts), also };
    },

    /** Seed 001's policy for this patient booking this clinician, as of now. */
    async planPolicyFor(
      patientId: string,
      clinicianId: string,
    ): Promise<{ planCode: PlanCode; policy: BookingPolicy }> {
      return policyOf(await repo.planFacts(read, patientId, clinicianId));
    },

    /** Admin: set a patient's current plan (buying plans comes with billing). */
    async setPatientPlan(
      patientId: string,
      input: { planCode: PlanCode; status?: 'active' | 'expired' | 'cancelled'; periodEnd?: Date | null },
    ) {
      const user = await deps.identity.getUser(patientId);
      if (user?.role !== 'patient') throw Errors.notFound('Patient', patientId);
      const now = deps.clock.now();
      const saved = await deps.uow((tx) =>
        repo.upsertSubscription(tx.db, {
          patientId,
          planCode: input.planCode,
          status: input.status ?? 'active',
          periodEnd: input.periodEnd ?? null,
          updatedAt: now,
        }),
      );
      return {
        ...saved,
        planCode: saved.planCode as PlanCode,
        effectivePlan: effectivePlan({ ...saved, planCode: saved.planCode as PlanCode }, now),
      };
    },

    /** In the caller's transaction (booking's completion); idempotent per pair. */
    async recordRelationship(
      tx: Tx,
      rel: { clinicianId: string; patientId: string; source: 'appointment' | 'admin' },
    ) {
      return repo.insertRelationship(tx.db, { ...rel, createdAt: deps.clock.now() });
    },

    /** Admin: link a patient to a clinician. */
    async createRelationship(rel: { clinicianId: string; patientId: string }) {
      const [patient, clinicians] = await Promise.all([
        deps.identity.getUser(rel.patientId),
        clinicianProfiles(deps.identity, [rel.clinicianId]),
      ]);
      if (patient?.role !== 'patient') throw Errors.notFound('Patient', rel.patientId);
      if (clinicians.length === 0) throw Errors.notFound('Clinician', rel.clinicianId);
      const now = deps.clock.now();
      return deps.uow((tx) => repo.insertRelationship(tx.db, { ...rel, source: 'admin', createdAt: now }));
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
