import { IANAZone } from 'luxon';

/**
 * Pure slot rules. Weekly rules are wall-clock times in the clinician's IANA zone; slots are real
 * instants. Daylight-saving decisions (README.md):
 * - a wall-clock slot start that does not exist (spring forward, e.g. 01:00-02:00 in London on the
 *   last Sunday of March) is not offered;
 * - a wall-clock slot start that happens twice (fall back, 01:00-02:00 on the last Sunday of
 *   October) is offered at both instants: the clinician is on duty in both real hours;
 * - slots of one rule never overlap: a start inside the previous slot of the same rule is dropped.
 */

export type Mode = 'online' | 'in_person';
export type WeeklyRule = {
  weekday: number;
  startTime: string;
  endTime: string;
  mode: Mode;
  centreId: string | null;
  slotMinutes: number;
};
export type Range = { startAt: Date; endAt: Date };
export type Slot = { startAt: Date; endAt: Date; mode: Mode; centreId: string | null };
export type SlotStatus = 'available' | 'held' | 'booked';
/** Held or booked time; a hold shows until it lapses (`until`). */
export type Occupied = Range & { status: 'held' | 'booked'; until?: Date | null };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const isValidZone = (zone: string) => IANAZone.isValidZone(zone);

export function minutesOf(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new Error(`not a HH:MM time: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** "YYYY-MM-DD" -> UTC midnight of that calendar date (a date label, not an instant in any zone). */
export function parseLocalDate(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Checked by arithmetic: a round trip through toISOString costs microseconds, and every slot
  // request parses several dates. Years below 100 are refused (Date.UTC reads them as 19xx).
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo))
    throw new Error(`no such date: ${date}`);
  return Date.UTC(y, mo - 1, d);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysInMonth = (y: number, month: number) => (month === 2 && isLeap(y) ? 29 : MONTH_DAYS[month - 1]!);

/** ISO weekday (1 = Monday ... 7 = Sunday) of a date label from parseLocalDate. */
export const isoWeekday = (dateMs: number) => ((new Date(dateMs).getUTCDay() + 6) % 7) + 1;

type Segments = Array<[number, number]>;
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
/** Offset segments per zone and UTC year; tz data does not change while the process runs. */
const yearCache = new Map<string, Segments>();
const YEAR_CACHE_MAX = 2_000;

/** [startMs, offsetMinutes] segments covering one UTC year, sampled every 6 hours, changes bisected to the second. */
function yearSegments(zone: IANAZone, year: number): Segments {
  const key = `${zone.name}|${year}`;
  const hit = yearCache.get(key);
  if (hit) return hit;
  const from = Date.UTC(year, 0, 1);
  const to = Date.UTC(year + 1, 0, 1);
  let prevAt = from;
  let prev = zone.offset(from);
  const segs: Segments = [[from, prev]];
  for (let at = from + 6 * HOUR; at <= to; at += 6 * HOUR) {
    const off = zone.offset(at);
    if (off !== prev) segs.push([bisect(zone, prevAt, at, prev), off]);
    prev = off;
    prevAt = at;
  }
  if (yearCache.size >= YEAR_CACHE_MAX) yearCache.clear();
  yearCache.set(key, segs);
  return segs;
}

function bisect(zone: IANAZone, lo: number, hi: number, offLo: number): number {
  // Invariant: offset(lo) === offLo, offset(hi) !== offLo. Returns the first instant of the new offset.
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (zone.offset(mid) === offLo) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The zone's UTC offsets over a window. Luxon's zone lookups cost microseconds each and a 30-day
 * search needs thousands, so offsets come from per-year segment tables computed once per zone.
 */
export class ZoneOffsets {
  readonly #zone: IANAZone;
  /** Segments sorted by start: [startMs, offsetMinutes]. */
  readonly #segments: Segments = [];
  readonly #from: number;
  readonly #to: number;
  readonly #datePrefix = new Map<number, string>();

  constructor(zone: string, fromMs: number, toMs: number) {
    this.#zone = IANAZone.create(zone);
    if (!this.#zone.isValid) throw new Error(`unknown time zone: ${zone}`);
    const firstYear = new Date(fromMs).getUTCFullYear();
    const lastYear = new Date(toMs).getUTCFullYear();
    this.#from = Date.UTC(firstYear, 0, 1);
    this.#to = Date.UTC(lastYear + 1, 0, 1);
    for (let y = firstYear; y <= lastYear; y++)
      for (const seg of yearSegments(this.#zone, y)) {
        const last = this.#segments[this.#segments.length - 1];
        if (!last || last[1] !== seg[1]) this.#segments.push(seg);
      }
  }

  /** Offset in minutes at an instant. */
  at(ms: number): number {
    if (ms < this.#from || ms >= this.#to) return this.#zone.offset(ms);
    const segs = this.#segments;
    for (let i = segs.length - 1; i > 0; i--) if (ms >= segs[i]![0]) return segs[i]![1];
    return segs[0]![1];
  }

  /** Every instant whose wall-clock time in the zone is `wallMs` (a UTC-labelled wall time): 0, 1 or 2. */
  instantsOf(wallMs: number): number[] {
    const out: number[] = [];
    for (const off of this.#offsetsNear(wallMs)) {
      const ts = wallMs - off * MINUTE;
      if (this.at(ts) === off && !out.includes(ts)) out.push(ts);
    }
    return out.sort((a, b) => a - b);
  }

  #offsetsNear(wallMs: number): number[] {
    const a = this.at(wallMs - DAY);
    const b = this.at(wallMs + DAY);
    return a === b ? [a] : [a, b];
  }

  /** ISO 8601 with the zone's offset at that instant, e.g. 2030-01-07T09:00:00+05:30. */
  format(ms: number): string {
    const off = this.at(ms);
    const local = ms + off * MINUTE;
    const day = Math.floor(local / DAY);
    // A search formats hundreds of slots over a few dozen days: build each date prefix once.
    let date = this.#datePrefix.get(day);
    if (!date) {
      date = new Date(day * DAY).toISOString().slice(0, 11);
      this.#datePrefix.set(day, date);
    }
    const secs = Math.floor((local - day * DAY) / 1000);
    const abs = Math.abs(off);
    return `${date}${pad2(Math.floor(secs / 3600))}:${pad2(Math.floor(secs / 60) % 60)}:${pad2(secs % 60)}${off < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
  }

  /** The local calendar date ("YYYY-MM-DD") of an instant. */
  localDate(ms: number): string {
    return new Date(ms + this.at(ms) * MINUTE).toISOString().slice(0, 10);
  }
}

/** The instant window that covers local dates [fromDate, toDate] in any zone (offsets are within ±14 h). */
export function windowOf(fromDate: string, toDate: string): { from: number; to: number } {
  return { from: parseLocalDate(fromDate) - 15 * HOUR, to: parseLocalDate(toDate) + DAY + 15 * HOUR };
}

export type GenerateInput = {
  zone: string;
  rules: WeeklyRule[];
  timeOff: Range[];
  /** Local dates in the clinician's zone, inclusive. */
  fromDate: string;
  toDate: string;
  now: Date;
  mode?: Mode;
  /** Reuse a table built for the same window (cross-clinician searches in one zone). */
  offsets?: ZoneOffsets;
};

/** A slot as epoch milliseconds: what the hot path (slot listing) works with. */
export type SlotTimes = { start: number; end: number; mode: Mode; centreId: string | null };

/** Slots the rules offer on local dates [fromDate, toDate]: future, outside time off, sorted by start. */
export function generateSlotTimes(input: GenerateInput): SlotTimes[] {
  const window = windowOf(input.fromDate, input.toDate);
  const offsets = input.offsets ?? new ZoneOffsets(input.zone, window.from, window.to);
  const rules = input.mode ? input.rules.filter((r) => r.mode === input.mode) : input.rules;
  const byWeekday = new Map<number, WeeklyRule[]>();
  for (const r of rules) byWeekday.set(r.weekday, [...(byWeekday.get(r.weekday) ?? []), r]);
  const off = input.timeOff
    .map((r) => [r.startAt.getTime(), r.endAt.getTime()] as const)
    .sort((a, b) => a[0] - b[0]);
  const now = input.now.getTime();
  const last = parseLocalDate(input.toDate);
  const slots: SlotTimes[] = [];
  for (let day = parseLocalDate(input.fromDate); day <= last; day += DAY) {
    for (const rule of byWeekday.get(isoWeekday(day)) ?? []) {
      for (const [start, end] of ruleSlots(rule, day, offsets)) {
        if (start <= now || overlapsAny(start, end, off)) continue;
        slots.push({ start, end, mode: rule.mode, centreId: rule.centreId });
      }
    }
  }
  return slots.sort((a, b) => a.start - b.start);
}

/** generateSlotTimes with Dates. */
export function generateSlots(input: GenerateInput): Slot[] {
  return generateSlotTimes(input).map((s) => ({
    startAt: new Date(s.start),
    endAt: new Date(s.end),
    mode: s.mode,
    centreId: s.centreId,
  }));
}

/** [start, end) instants of one rule on one local date, in order, never overlapping. */
function ruleSlots(rule: WeeklyRule, day: number, offsets: ZoneOffsets): Array<[number, number]> {
  const starts: number[] = [];
  const len = rule.slotMinutes * MINUTE;
  const endWall = minutesOf(rule.endTime);
  for (let m = minutesOf(rule.startTime); m + rule.slotMinutes <= endWall; m += rule.slotMinutes)
    starts.push(...offsets.instantsOf(day + m * MINUTE));
  // A repeated hour interleaves the instants of consecutive wall times, hence the sort.
  starts.sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  let prevEnd = Number.NEGATIVE_INFINITY;
  for (const start of starts) {
    if (start < prevEnd) continue;
    out.push([start, start + len]);
    prevEnd = start + len;
  }
  return out;
}

function overlapsAny(start: number, end: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [a, b] of ranges) {
    if (a >= end) return false;
    if (b > start) return true;
  }
  return false;
}

/**
 * Each slot's status from what booking reports in the window: booked wins over held; a slot is
 * taken when any occupied range overlaps it (a booking made under older rules may not line up).
 * `slots` must be sorted by start, as generateSlots returns them.
 */
export function withStatus(slots: Slot[], occupied: Occupied[]): Array<Slot & { status: SlotStatus }> {
  const statuses = statusOf(
    slots.map((x) => ({ start: x.startAt.getTime(), end: x.endAt.getTime() })),
    occupied,
  );
  return slots.map((x, i) => ({
    startAt: x.startAt,
    endAt: x.endAt,
    mode: x.mode,
    centreId: x.centreId,
    status: statuses[i]!,
  }));
}

/** The status of each slot (sorted by start), from the occupied ranges. */
export function statusOf(slots: Array<{ start: number; end: number }>, occupied: Occupied[]): SlotStatus[] {
  const occ = occupied
    .map((o) => ({ start: o.startAt.getTime(), end: o.endAt.getTime(), booked: o.status === 'booked' }))
    .sort((a, b) => a.start - b.start);
  let first = 0;
  return slots.map(({ start: s, end: e }) => {
    while (first < occ.length && occ[first]!.end <= s) first++;
    let status: SlotStatus = 'available';
    for (let i = first; i < occ.length && occ[i]!.start < e; i++) {
      if (occ[i]!.end <= s) continue;
      if (occ[i]!.booked) status = 'booked';
      else if (status === 'available') status = 'held';
    }
    return status;
  });
}

/** Rules of one weekday must not overlap (one clinician, one place at a time). Returns clashing pairs. */
export function overlappingRules<R extends { weekday: number; startTime: string; endTime: string }>(
  rules: R[],
): Array<[R, R]> {
  const clashes: Array<[R, R]> = [];
  const sorted = [...rules].sort(
    (a, b) => a.weekday - b.weekday || minutesOf(a.startTime) - minutesOf(b.startTime),
  );
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.weekday === b.weekday && minutesOf(b.startTime) < minutesOf(a.endTime)) clashes.push([a, b]);
  }
  return clashes;
}

/** Whether an instant falls in one of the weekly on-call shifts, read on the zone's wall clock. */
export function isOnCall(
  shifts: Array<{ weekday: number; startTime: string; endTime: string }>,
  zone: string,
  at: Date,
): boolean {
  const offsets = new ZoneOffsets(zone, at.getTime() - DAY, at.getTime() + DAY);
  const local = at.getTime() + offsets.at(at.getTime()) * MINUTE;
  const day = Math.floor(local / DAY) * DAY;
  const minute = Math.floor((local - day) / MINUTE);
  const weekday = isoWeekday(day);
  return shifts.some(
    (s) => s.weekday === weekday && minutesOf(s.startTime) <= minute && minute < minutesOf(s.endTime),
  );
}
