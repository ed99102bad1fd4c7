import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/uow.js';
import type { Clinician } from '../catalog/index.js';
import type { CacheTicket, OccupancyWatch } from './scheduling.cache.js';
import { schedulingRepository as repo } from './scheduling.repository.js';
import {
  generateSlotTimes,
  type Mode,
  type Occupied,
  type Range,
  type SlotTimes,
  statusOf,
  type WeeklyRule,
  ZoneOffsets,
} from './scheduling.rules.js';
import { honoured } from './scheduling.slots.js';
import { createAnswerCache } from './scheduling.soonest.cache.js';

/** Booking's held and booked time of several clinicians in one read; each row names its clinician. */
export type OccupancyOfPort = (
  clinicianIds: string[],
  from: Date,
  to: Date,
  now: Date,
) => Promise<Array<Occupied & { clinicianId: string }>>;

/** The first slot a patient could book now; times in the clinician's zone, as slot listings write them. */
export type NextSlot = { startAt: string; endAt: string; mode: Mode; centreId: string | null };
/** The clinician search's filters: `mode` keeps that mode; `centreId` keeps in-person slots at that centre. */
export type NextSlotFilter = { mode?: Mode; centreId?: string };

export type NextSlotDeps = {
  read: Db;
  clock: Clock;
  log: Logger;
  occupancyOf: OccupancyOfPort;
  watchOccupancy?: OccupancyWatch;
  /** Booking refuses holds further ahead: the search stops there. */
  horizonDays?: number;
};

const DAY = 86_400_000;
/** The first window searched; each next one is twice as long, so a full horizon takes a few reads. */
const FIRST_WINDOW_DAYS = 7;
/** Where the search stops when no booking horizon is configured. */
const UNBOUNDED_DAYS = 366;

type Miss = { c: Clinician; key: string; ticket: CacheTicket | null };
type Plan = { c: Clinician; rules: WeeklyRule[]; timeOff: Range[]; lapse: number };
type Found = { slot: NextSlot | null; validUntil: number };

/**
 * Each clinician's next available slot for a page of the clinician search. Cached per clinician and
 * filter under the slot listings' rules (`scheduling.soonest.cache.ts`): an answer lives until
 * its slot starts or a hold it saw lapses, at most 5 s, and dies when booking's change feed names
 * the clinician or a schedule is written here (`forget`). Misses are read together: rules and time
 * off in one round trip, then booking's occupancy for every missing clinician in one query per
 * window (a week first, then doubling, up to the horizon), so a page costs the same few queries
 * whatever its size.
 */
export function createNextSlots(deps: NextSlotDeps) {
  const cache = createAnswerCache<NextSlot | null>({ watch: deps.watchOccupancy, log: deps.log });
  const horizonMs = (deps.horizonDays ?? UNBOUNDED_DAYS) * DAY;

  const keyOf = (c: Clinician, f: NextSlotFilter) =>
    `next|${c.id}|${f.mode ?? ''}|${f.centreId ?? ''}|${c.timeZone}|${c.modes.join()}|${c.centres.map((x) => x.id).join()}`;

  async function search(clinicians: Clinician[], filter: NextSlotFilter, now: number) {
    const ids = clinicians.map((c) => c.id);
    const end = now + horizonMs;
    const [rules, timeOff] = await Promise.all([
      repo.listRules(deps.read, ids),
      repo.listTimeOffOverlapping(deps.read, ids, new Date(now), new Date(end + 9 * DAY)),
    ]);
    const [rulesOf, timeOffOf] = [byClinician(rules), byClinician(timeOff)];
    const found = new Map<string, Found>();
    let pending: Plan[] = [];
    for (const c of clinicians) {
      const own = usable(c, rulesOf.get(c.id) ?? [], filter);
      if (own.length === 0) found.set(c.id, { slot: null, validUntil: Number.POSITIVE_INFINITY });
      else
        pending.push({ c, rules: own, timeOff: timeOffOf.get(c.id) ?? [], lapse: Number.POSITIVE_INFINITY });
    }
    for (let from = now, days = FIRST_WINDOW_DAYS; pending.length > 0 && from < end; days *= 2) {
      const to = Math.min(from + days * DAY, end);
      const occupied = byClinician(
        await deps.occupancyOf(
          pending.map((p) => p.c.id),
          new Date(from),
          new Date(to + DAY),
          new Date(now),
        ),
      );
      pending = pending.filter((p) => {
        const occ = occupied.get(p.c.id) ?? [];
        for (const o of occ) {
          const until = o.until?.getTime();
          if (until && until > now) p.lapse = Math.min(p.lapse, until);
        }
        const slots = slotsBetween(p, from, to, now);
        const free = slots[statusOf(slots, occ).indexOf('available')];
        if (!free) return true;
        found.set(p.c.id, { slot: formatted(p.c.timeZone, free), validUntil: Math.min(free.start, p.lapse) });
        return false;
      });
      from = to;
    }
    for (const p of pending)
      found.set(p.c.id, { slot: null, validUntil: Math.min(entersAt(p, end), p.lapse) });
    return found;
  }

  /** When a slot first enters the horizon (a null answer can change by time alone then). */
  function entersAt(p: Plan, end: number): number {
    const next = slotsBetween(p, end, end + 8 * DAY, end)[0];
    return next ? next.start - horizonMs : end - horizonMs + 8 * DAY;
  }

  // Searches under way, by cache key: a request that finds one started since the clinician's last
  // change joins it instead of reading again (a page's entries expire together, under load too).
  const inflight = new Map<string, { ticket: CacheTicket; found: Promise<Found> }>();

  async function searchMisses(misses: Miss[], filter: NextSlotFilter, now: Date) {
    const found = search(
      misses.map((m) => m.c),
      filter,
      now.getTime(),
    );
    const mine = misses.flatMap((m) => {
      if (!m.ticket) return [];
      const run = { ticket: m.ticket, found: found.then((f) => f.get(m.c.id)!) };
      run.found.catch(() => {}); // the caller below sees the failure
      inflight.set(m.key, run);
      return [[m.key, run] as const];
    });
    try {
      const result = await found;
      for (const m of misses) {
        const { slot, validUntil } = result.get(m.c.id)!;
        cache.set(m.key, m.ticket, slot, validUntil);
      }
      return result;
    } finally {
      for (const [key, run] of mine) if (inflight.get(key) === run) inflight.delete(key);
    }
  }

  return {
    /** Next available slot of each clinician (null: none within the horizon), by clinician id. */
    async find(clinicians: Clinician[], filter: NextSlotFilter = {}): Promise<Map<string, NextSlot | null>> {
      const now = deps.clock.now();
      const out = new Map<string, NextSlot | null>();
      const misses: Miss[] = [];
      const joined: Array<Promise<Miss | null>> = [];
      for (const c of clinicians) {
        const key = keyOf(c, filter);
        const hit = cache.get(key, now);
        if (hit) {
          out.set(c.id, hit.value);
          continue;
        }
        // The ticket is taken before the reads: an answer computed while a change arrived is not kept.
        const ticket = cache.ticket(c.id);
        const running = inflight.get(key);
        if (ticket && running && cache.current(running.ticket))
          // A shared answer that can no longer be right at this request's now is read again.
          joined.push(
            running.found.then((f): Miss | null => {
              if (now.getTime() >= f.validUntil) return { c, key, ticket };
              out.set(c.id, f.slot);
              return null;
            }),
          );
        else misses.push({ c, key, ticket });
      }
      const answer = async (list: Miss[]) => {
        if (list.length === 0) return;
        const found = await searchMisses(list, filter, now);
        for (const m of list) out.set(m.c.id, found.get(m.c.id)!.slot);
      };
      await answer(misses);
      await answer((await Promise.all(joined)).filter((m): m is Miss => m !== null));
      return out;
    },

    forget: () => cache.clear(),
  };
}

export type NextSlots = ReturnType<typeof createNextSlots>;

/** The rules the search may use: honoured by the listing, in the filter's mode, at the filter's centre. */
function usable(c: Clinician, rules: WeeklyRule[], f: NextSlotFilter): WeeklyRule[] {
  return honoured(c, rules).filter(
    (r) =>
      (!f.mode || r.mode === f.mode) && (!f.centreId || r.mode === 'online' || r.centreId === f.centreId),
  );
}

/** The plan's slots starting in (from, to], sorted by start. */
function slotsBetween(p: Plan, from: number, to: number, now: number): SlotTimes[] {
  const offsets = new ZoneOffsets(p.c.timeZone, from - DAY, to + DAY);
  return generateSlotTimes({
    zone: p.c.timeZone,
    rules: p.rules,
    timeOff: p.timeOff,
    fromDate: offsets.localDate(from),
    toDate: offsets.localDate(to),
    now: new Date(now),
    offsets,
  }).filter((s) => s.start > from && s.start <= to);
}

function formatted(zone: string, s: SlotTimes): NextSlot {
  const offsets = new ZoneOffsets(zone, s.start - DAY, s.end + DAY);
  return {
    startAt: offsets.format(s.start),
    endAt: offsets.format(s.end),
    mode: s.mode,
    centreId: s.centreId,
  };
}

function byClinician<O extends { clinicianId: string }>(rows: O[]): Map<string, O[]> {
  const out = new Map<string, O[]>();
  for (const r of rows) {
    const list = out.get(r.clinicianId);
    if (list) list.push(r);
    else out.set(r.clinicianId, [r]);
  }
  return out;
}
