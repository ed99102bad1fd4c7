import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { CatalogService, Clinician } from '../catalog/index.js';
import { createListingCache, type OccupancyWatch } from './scheduling.cache.js';
import { schedulingRepository as repo } from './scheduling.repository.js';
import {
  generateSlotTimes,
  type Mode,
  type Occupied,
  parseLocalDate,
  type SlotStatus,
  statusOf,
  type WeeklyRule,
  windowOf,
  ZoneOffsets,
} from './scheduling.rules.js';

/** Booking's view of a clinician's held and confirmed time in a window (docs/module-contracts.md). */
export type OccupancyPort = (clinicianId: string, from: Date, to: Date, now: Date) => Promise<Occupied[]>;

export type SlotView = {
  startAt: string;
  endAt: string;
  mode: Mode;
  centreId: string | null;
  status: SlotStatus;
};
/** A slot the rules offer, with its times already formatted in the clinician's zone. */
type Offered = {
  start: number;
  end: number;
  startAt: string;
  endAt: string;
  mode: Mode;
  centreId: string | null;
};

type SlotQuery = { from?: string; to?: string; mode?: Mode };
type SearchQuery = { date: string; specialization?: string; centreId?: string; mode?: Mode };

const DAY = 86_400_000;
const [NOTHING, OPEN, COMMA, CLOSE] = ['', '[', ',', ']'].map((s) => Buffer.from(s)) as [
  Buffer,
  Buffer,
  Buffer,
  Buffer,
];
/** Longest slot listing per request: a month and a bit. */
export const MAX_RANGE_DAYS = 62;
const CLINICIAN_CACHE_MS = 5_000;
const OFFERED_CACHE_MS = 2_000;
const OFFERED_CACHE_MAX = 500;

export type SlotListingDeps = {
  read: Db;
  clock: Clock;
  log: Logger;
  catalog: Pick<CatalogService, 'getClinician' | 'listClinicians'>;
  occupancy: OccupancyPort;
  watchOccupancy?: OccupancyWatch;
  /** Booking refuses a hold further ahead than this: such slots are not listed. Unbounded when absent. */
  horizonDays?: number;
};

/** Rules the clinician can still honour: a mode they offer, at a centre they are linked to. */
export const honoured = (c: Clinician, rules: WeeklyRule[]) =>
  rules.filter(
    (r) => c.modes.includes(r.mode) && (r.mode === 'online' || c.centres.some((x) => x.id === r.centreId)),
  );

/**
 * Slot listing, the hottest read. What the rules offer (generated and formatted) is cached for a
 * moment per clinician, range and mode, in this process; `forget()` runs after every schedule
 * write here. Past slots are cut and statuses come from booking's occupancy on every request, so
 * a listing never shows a past slot and never hides a fresh hold. Bookings go through findSlot,
 * which always reads fresh: a stale listing can never book what the rules refuse.
 */
export function createSlotListing(deps: SlotListingDeps) {
  const offeredCache = new Map<string, { at: number; value: Promise<Offered[]> }>();
  const replies = createListingCache({ watch: deps.watchOccupancy, log: deps.log });
  const horizonMs = deps.horizonDays ? deps.horizonDays * DAY : Number.POSITIVE_INFINITY;
  /** What a listing shows at `now`: slots starting after now and no later than the horizon. */
  const listable = (slots: Offered[], now: Date) => {
    const last = now.getTime() + horizonMs;
    return slots.slice(firstAfter(slots, now.getTime())).filter((s) => s.start <= last);
  };
  /** The first instant a listing can change by time alone (horizon included). */
  const changesAt = (slots: Offered[], occupied: Occupied[], now: Date) => {
    const entering = slots.find((s) => s.start > now.getTime() + horizonMs);
    return Math.min(changesByTimeAt(slots, occupied, now), entering ? entering.start - horizonMs : Infinity);
  };

  // Catalog's entry may be CLINICIAN_CACHE_MS old: concurrent misses may as well share one read.
  const clinicianReads = new Map<string, Promise<Clinician | null>>();
  async function listedClinician(id: string): Promise<Clinician> {
    let read = clinicianReads.get(id);
    if (!read) {
      read = deps.catalog.getClinician(id, { maxAgeMs: CLINICIAN_CACHE_MS });
      clinicianReads.set(id, read);
      const done = () => clinicianReads.delete(id);
      read.then(done, done);
    }
    const c = await read;
    if (!c) throw Errors.notFound('Clinician', id);
    return c;
  }

  const listingKey = (c: Clinician, from: string, to: string, mode: Mode | undefined) =>
    `${c.id}|${from}|${to}|${mode ?? ''}|${c.modes.join()}|${c.centres.map((x) => x.id).join()}`;

  function offered(c: Clinician, from: string, to: string, mode: Mode | undefined): Promise<Offered[]> {
    const key = listingKey(c, from, to, mode);
    const hit = offeredCache.get(key);
    if (hit && performance.now() - hit.at <= OFFERED_CACHE_MS) return hit.value;
    const value = generate(c, from, to, mode);
    value.catch(() => offeredCache.delete(key)); // a failed read is not kept
    if (offeredCache.size >= OFFERED_CACHE_MAX) offeredCache.clear();
    offeredCache.set(key, { at: performance.now(), value });
    return value;
  }

  async function generate(
    c: Clinician,
    from: string,
    to: string,
    mode: Mode | undefined,
  ): Promise<Offered[]> {
    const w = windowOf(from, to);
    const { rules, timeOff } = await repo.loadSchedule(deps.read, c.id, new Date(w.from), new Date(w.to));
    const offsets = new ZoneOffsets(c.timeZone, w.from, w.to);
    const times = generateSlotTimes({
      zone: c.timeZone,
      rules: honoured(c, rules),
      timeOff,
      fromDate: from,
      toDate: to,
      now: new Date(0), // past slots are cut per request
      mode,
      offsets,
    });
    return times.map((s) => ({ ...s, startAt: offsets.format(s.start), endAt: offsets.format(s.end) }));
  }

  function withStatuses(slots: Offered[], occupied: Occupied[], now: Date): SlotView[] {
    const future = listable(slots, now);
    const statuses = statusOf(future, occupied);
    return future.map((s, i) => ({
      startAt: s.startAt,
      endAt: s.endAt,
      mode: s.mode,
      centreId: s.centreId,
      status: statuses[i]!,
    }));
  }

  /** The listing, and the first instant it can change by time alone (a slot starts, a hold lapses). */
  async function buildListing(clinicianId: string, q: SlotQuery, now: Date) {
    // Occupancy needs no zone: ask for a window wide enough for any zone, alongside the clinician.
    const fetch = fetchWindow(q.from, q.to, now);
    const [clinician, occupied] = await Promise.all([
      listedClinician(clinicianId),
      deps.occupancy(clinicianId, new Date(fetch.from), new Date(fetch.to), now),
    ]);
    const zone = clinician.timeZone;
    const { from, to } = dateRange(q.from, q.to, zone, now);
    const all = await offered(clinician, from, to, q.mode);
    return {
      reply: { clinicianId, timeZone: zone, from, to, slots: withStatuses(all, occupied, now) },
      validUntil: changesAt(all, occupied, now),
    };
  }

  /** One clinician's part of a search reply as JSON, or empty when they have no future slot that day. */
  async function dayPartJson(c: Clinician, q: SearchQuery, now: Date): Promise<Buffer> {
    const { id, fullName, specialization, fee, timeZone } = c;
    const key = `day|${listingKey(c, q.date, q.date, q.mode)}|${q.centreId ?? ''}|${fullName}|${specialization}|${fee.amount}`;
    return replies.load(key, c.id, now, async () => {
      const offer = (await offered(c, q.date, q.date, q.mode)).filter(
        (s) => !q.centreId || s.centreId === q.centreId,
      );
      if (listable(offer, now).length === 0) return { body: NOTHING, validUntil: changesAt(offer, [], now) };
      const w = windowOf(q.date, q.date);
      const occupied = await deps.occupancy(c.id, new Date(w.from), new Date(w.to), now);
      const slots = withStatuses(offer, occupied, now);
      const part = JSON.stringify({ clinician: { id, fullName, specialization, fee }, timeZone, slots });
      return { body: Buffer.from(part), validUntil: changesAt(offer, occupied, now) };
    });
  }

  return {
    forget: () => {
      offeredCache.clear();
      replies.clear();
    },

    /** A clinician's future slots on local dates [from, to] with their status. */
    listSlots: async (clinicianId: string, q: SlotQuery) =>
      (await buildListing(clinicianId, q, deps.clock.now())).reply,

    /** `listSlots` as the UTF-8 JSON the route sends, served from the listing cache when it is fresh. */
    async listSlotsJson(clinicianId: string, q: SlotQuery): Promise<Buffer> {
      const now = deps.clock.now();
      fetchWindow(q.from, q.to, now); // refuses bad dates before any lookup
      const clinician = await listedClinician(clinicianId);
      const { from, to } = dateRange(q.from, q.to, clinician.timeZone, now);
      return replies.load(listingKey(clinician, from, to, q.mode), clinicianId, now, async () => {
        const { reply, validUntil } = await buildListing(clinicianId, q, now);
        return { body: Buffer.from(JSON.stringify(reply)), validUntil };
      });
    },

    /** Slots on one local date across clinicians matching the filter (each in their own zone), as UTF-8 JSON. */
    async searchSlotsJson(q: SearchQuery): Promise<Buffer> {
      checkDate(q.date, 'querystring.date');
      const now = deps.clock.now();
      const clinicians = await deps.catalog.listClinicians(q);
      const parts = (await Promise.all(clinicians.map((c) => dayPartJson(c, q, now)))).filter(
        (p) => p.length,
      );
      return Buffer.concat([OPEN, ...parts.flatMap((p, i) => (i ? [COMMA, p] : [p])), CLOSE]);
    },
  };
}

/** The first instant a listing can change by time alone: its next slot starts, or a hold in it lapses. */
function changesByTimeAt(slots: Offered[], occupied: Occupied[], now: Date): number {
  const next = slots[firstAfter(slots, now.getTime())]?.start ?? Number.POSITIVE_INFINITY;
  const lapses = occupied.map((o) => o.until?.getTime() ?? Number.POSITIVE_INFINITY);
  return Math.min(next, ...lapses.filter((t) => t > now.getTime()));
}

/** Index of the first slot starting after `now` (slots sorted by start). */
function firstAfter(slots: Array<{ start: number }>, now: number): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (slots[mid]!.start <= now) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function checkDate(date: string, path: string): void {
  try {
    parseLocalDate(date);
  } catch {
    throw Errors.validation(`${date} is not a calendar date (YYYY-MM-DD).`, [
      { path, message: 'is not a date' },
    ]);
  }
}

export const shiftDate = (date: string, days: number) =>
  new Date(parseLocalDate(date) + days * DAY).toISOString().slice(0, 10);

/** The instants any zone's [from, to] could need, before the zone is known; refuses absurd ranges early. */
function fetchWindow(from: string | undefined, to: string | undefined, now: Date) {
  if (from) checkDate(from, 'querystring.from');
  if (to) checkDate(to, 'querystring.to');
  const utcToday = now.toISOString().slice(0, 10);
  const first = from ?? shiftDate(utcToday, -1);
  const last = to ?? shiftDate(from ?? shiftDate(utcToday, 1), 6);
  if ((parseLocalDate(last) - parseLocalDate(first)) / DAY > MAX_RANGE_DAYS + 2)
    dateRange(first, last, 'UTC', now);
  return windowOf(first, last);
}

/** Defaults: from today in the clinician's zone, a week long. */
function dateRange(from: string | undefined, to: string | undefined, zone: string, now: Date) {
  const f = from ?? new ZoneOffsets(zone, now.getTime() - DAY, now.getTime() + DAY).localDate(now.getTime());
  const t = to ?? shiftDate(f, 6);
  const days = (parseLocalDate(t) - parseLocalDate(f)) / DAY;
  if (days < 0)
    throw Errors.validation('`to` is before `from`.', [
      { path: 'querystring.to', message: 'is before from' },
    ]);
  if (days >= MAX_RANGE_DAYS)
    throw Errors.validation(`At most ${MAX_RANGE_DAYS} days per request.`, [
      { path: 'querystring.to', message: `is more than ${MAX_RANGE_DAYS} days after from` },
    ]);
  return { from: f, to: t };
}
