import { drizzle } from 'drizzle-orm/node-postgres';
import type { Actor } from '../../platform/auth.js';
import type { Db } from '../../platform/db/uow.js';
import { Errors, type FieldError } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import type { CatalogService, Clinician } from '../catalog/index.js';
import { schedulingRepository as repo } from './scheduling.repository.js';
import {
  generateSlots,
  isOnCall,
  type Mode,
  type Occupied,
  overlappingRules,
  parseLocalDate,
  type Slot,
  type SlotStatus,
  type WeeklyRule,
  windowOf,
  withStatus,
  ZoneOffsets,
} from './scheduling.rules.js';

/** Booking's view of a clinician's held and confirmed time in a window (docs/module-contracts.md). */
export type OccupancyPort = (clinicianId: string, from: Date, to: Date, now: Date) => Promise<Occupied[]>;
export const nothingOccupied: OccupancyPort = async () => [];

export type SchedulingDeps = Pick<Platform, 'clock' | 'pool' | 'uow'> & {
  catalog: Pick<CatalogService, 'getClinician' | 'getClinicians' | 'listClinicians'>;
  occupancy: OccupancyPort;
};

export type RuleInput = WeeklyRule;
export type ShiftInput = { weekday: number; startTime: string; endTime: string };
export type SlotView = {
  startAt: string;
  endAt: string;
  mode: Mode;
  centreId: string | null;
  status: SlotStatus;
};

const DAY = 86_400_000;
/** Longest slot listing per request: a month and a bit. */
export const MAX_RANGE_DAYS = 62;
const MAX_TIME_OFF_DAYS = 366;
const CLINICIAN_CACHE_MS = 5_000;

export function createSchedulingService(deps: SchedulingDeps) {
  const read: Db = drizzle(deps.pool, { casing: 'snake_case' });

  async function requireClinician(id: string, opts: { includeUnlisted?: boolean } = {}): Promise<Clinician> {
    const c = await deps.catalog.getClinician(id, opts);
    if (!c) throw Errors.notFound('Clinician', id);
    return c;
  }

  /** Slot listings accept a catalog entry a few seconds old (the hottest read); bookings read fresh. */
  async function listedClinician(id: string): Promise<Clinician> {
    const c = await deps.catalog.getClinician(id, { maxAgeMs: CLINICIAN_CACHE_MS });
    if (!c) throw Errors.notFound('Clinician', id);
    return c;
  }

  function assertCanManage(actor: Actor, clinicianId: string): void {
    if (actor.role === 'admin') return;
    if (actor.role === 'clinician' && actor.userId === clinicianId) return;
    throw Errors.forbidden(
      'FORBIDDEN',
      "Only the clinician or an admin can change this clinician's schedule.",
    );
  }

  /** Rules the clinician can still honour: a mode they offer, at a centre they are linked to. */
  const honoured = (c: Clinician, rules: WeeklyRule[]) =>
    rules.filter(
      (r) => c.modes.includes(r.mode) && (r.mode === 'online' || c.centres.some((x) => x.id === r.centreId)),
    );

  const view = (offsets: ZoneOffsets, s: Slot & { status: SlotStatus }): SlotView => ({
    startAt: offsets.format(s.startAt.getTime()),
    endAt: offsets.format(s.endAt.getTime()),
    mode: s.mode,
    centreId: s.centreId,
    status: s.status,
  });

  async function getSchedule(clinicianId: string) {
    const clinician = await requireClinician(clinicianId, { includeUnlisted: true });
    const now = deps.clock.now();
    const [rules, shifts, timeOff] = await Promise.all([
      repo.listRules(read, [clinicianId]),
      repo.listShifts(read, [clinicianId]),
      repo.listTimeOffOverlapping(read, [clinicianId], now, new Date(now.getTime() + 400 * DAY)),
    ]);
    return {
      clinicianId,
      timeZone: clinician.timeZone,
      rules: rules.map(({ clinicianId: _c, ...r }) => r),
      shifts: shifts.map(({ clinicianId: _c, ...s }) => s),
      timeOff,
    };
  }

  return {
    /**
     * A clinician's slots on local dates [from, to] with their status: one query for rules, one
     * for time off, one occupancy call, then pure generation.
     */
    async listSlots(clinicianId: string, q: { from?: string; to?: string; mode?: Mode }) {
      const now = deps.clock.now();
      // The clinician's zone decides "today"; fetch a window wide enough for any zone so the
      // clinician, rules, time off and occupancy all load in one parallel round.
      const fetch = fetchWindow(q.from, q.to, now);
      const [clinician, { rules, timeOff }, occupied] = await Promise.all([
        listedClinician(clinicianId),
        repo.loadSchedule(read, clinicianId, new Date(fetch.from), new Date(fetch.to)),
        deps.occupancy(clinicianId, new Date(fetch.from), new Date(fetch.to), now),
      ]);
      const zone = clinician.timeZone;
      const { from, to } = dateRange(q.from, q.to, zone, now);
      const w = windowOf(from, to);
      const offsets = new ZoneOffsets(zone, w.from, w.to);
      const slots = generateSlots({
        zone,
        rules: honoured(clinician, rules),
        timeOff,
        fromDate: from,
        toDate: to,
        now,
        mode: q.mode,
        offsets,
      });
      return {
        clinicianId,
        timeZone: zone,
        from,
        to,
        slots: withStatus(slots, occupied).map((s) => view(offsets, s)),
      };
    },

    /** Slots on one local date across clinicians matching the filter (each in their own zone). */
    async searchSlots(q: { date: string; specialization?: string; centreId?: string; mode?: Mode }) {
      checkDate(q.date, 'querystring.date');
      const now = deps.clock.now();
      const clinicians = await deps.catalog.listClinicians(q);
      const ids = clinicians.map((c) => c.id);
      const w = windowOf(q.date, q.date);
      const [rules, timeOff] = await Promise.all([
        repo.listRules(read, ids),
        repo.listTimeOffOverlapping(read, ids, new Date(w.from), new Date(w.to)),
      ]);
      const results = await Promise.all(
        clinicians.map(async (c) => {
          const offsets = new ZoneOffsets(c.timeZone, w.from, w.to);
          const slots = generateSlots({
            zone: c.timeZone,
            rules: honoured(
              c,
              rules.filter((r) => r.clinicianId === c.id),
            ),
            timeOff: timeOff.filter((t) => t.clinicianId === c.id),
            fromDate: q.date,
            toDate: q.date,
            now,
            mode: q.mode,
            offsets,
          }).filter((s) => !q.centreId || s.centreId === q.centreId);
          if (slots.length === 0) return null;
          const occupied = await deps.occupancy(c.id, new Date(w.from), new Date(w.to), now);
          const { id, fullName, specialization, fee, timeZone } = c;
          return {
            clinician: { id, fullName, specialization, fee },
            timeZone,
            slots: withStatus(slots, occupied).map((s) => view(offsets, s)),
          };
        }),
      );
      return results.filter((r) => r !== null);
    },

    /** The slot the rules offer at exactly `startAt` in `mode`, if it is still in the future. Ignores bookings. */
    async findSlot(q: { clinicianId: string; startAt: Date; mode: Mode }) {
      const now = deps.clock.now();
      const clinician = await deps.catalog.getClinician(q.clinicianId);
      if (!clinician?.modes.includes(q.mode) || Number.isNaN(q.startAt.getTime())) return null;
      const t = q.startAt.getTime();
      const [rules, timeOff] = await Promise.all([
        repo.listRules(read, [q.clinicianId]),
        repo.listTimeOffOverlapping(read, [q.clinicianId], new Date(t - 2 * DAY), new Date(t + 2 * DAY)),
      ]);
      // The slot's local date is the day before, of or after the UTC date whatever the zone.
      const utcDate = new Date(t).toISOString().slice(0, 10);
      const slots = generateSlots({
        zone: clinician.timeZone,
        rules: honoured(clinician, rules),
        timeOff,
        fromDate: shiftDate(utcDate, -1),
        toDate: shiftDate(utcDate, 1),
        now,
        mode: q.mode,
      });
      const hit = slots.find((s) => s.startAt.getTime() === t);
      return hit ? { startAt: hit.startAt, endAt: hit.endAt, mode: hit.mode, centreId: hit.centreId } : null;
    },

    getSchedule,
    assertCanManage,

    /** Replaces the clinician's weekly rules as a whole. Booked appointments are not touched. */
    async replaceRules(actor: Actor, clinicianId: string, rules: RuleInput[]) {
      assertCanManage(actor, clinicianId);
      const clinician = await requireClinician(clinicianId, { includeUnlisted: true });
      const errors = ruleErrors(clinician, rules);
      if (errors.length) throw Errors.validation('The availability rules are not valid.', errors);
      await deps.uow(async (tx) => {
        await repo.lockClinician(tx.db, clinicianId);
        await repo.deleteRules(tx.db, clinicianId);
        await repo.insertRules(
          tx.db,
          rules.map((r) => ({ ...r, clinicianId, centreId: r.mode === 'online' ? null : r.centreId })),
        );
      });
      return getSchedule(clinicianId);
    },

    async replaceShifts(actor: Actor, clinicianId: string, shifts: ShiftInput[]) {
      assertCanManage(actor, clinicianId);
      await requireClinician(clinicianId, { includeUnlisted: true });
      const errors = timeErrors(shifts);
      if (errors.length) throw Errors.validation('The on-call shifts are not valid.', errors);
      await deps.uow(async (tx) => {
        await repo.lockClinician(tx.db, clinicianId);
        await repo.deleteShifts(tx.db, clinicianId);
        await repo.insertShifts(
          tx.db,
          shifts.map((s) => ({ ...s, clinicianId })),
        );
      });
      return getSchedule(clinicianId);
    },

    async addTimeOff(
      actor: Actor,
      clinicianId: string,
      input: { startAt: Date; endAt: Date; reason?: string },
    ) {
      assertCanManage(actor, clinicianId);
      await requireClinician(clinicianId, { includeUnlisted: true });
      const now = deps.clock.now();
      const span = input.endAt.getTime() - input.startAt.getTime();
      if (span <= 0)
        throw Errors.validation('Time off must end after it starts.', [
          { path: 'body.endAt', message: 'must be after startAt' },
        ]);
      if (span > MAX_TIME_OFF_DAYS * DAY)
        throw Errors.validation(`Time off is at most ${MAX_TIME_OFF_DAYS} days at a time.`, [
          { path: 'body.endAt', message: 'is too far after startAt' },
        ]);
      if (input.endAt.getTime() <= now.getTime())
        throw Errors.validation('Time off must end in the future.', [
          { path: 'body.endAt', message: 'is in the past' },
        ]);
      return deps.uow((tx) =>
        repo.insertTimeOff(tx.db, {
          clinicianId,
          startAt: input.startAt,
          endAt: input.endAt,
          reason: input.reason ?? '',
          createdBy: actor.userId,
          createdAt: now,
        }),
      );
    },

    async removeTimeOff(actor: Actor, clinicianId: string, timeOffId: string) {
      assertCanManage(actor, clinicianId);
      const removed = await deps.uow((tx) => repo.deleteTimeOff(tx.db, clinicianId, timeOffId));
      if (!removed) throw Errors.notFound('Time off', timeOffId);
    },

    /** Clinicians on call at `at` (default now), for on-demand consultations. */
    async listOnCallClinicians(at?: Date): Promise<string[]> {
      const when = at ?? deps.clock.now();
      const shifts = await repo.listShifts(read);
      const ids = [...new Set(shifts.map((s) => s.clinicianId))];
      const clinicians = await deps.catalog.getClinicians(ids);
      return clinicians
        .filter((c) =>
          isOnCall(
            shifts.filter((s) => s.clinicianId === c.id),
            c.timeZone,
            when,
          ),
        )
        .map((c) => c.id);
    },
  };
}

export type SchedulingService = ReturnType<typeof createSchedulingService>;

function checkDate(date: string, path: string): void {
  try {
    parseLocalDate(date);
  } catch {
    throw Errors.validation(`${date} is not a calendar date (YYYY-MM-DD).`, [
      { path, message: 'is not a date' },
    ]);
  }
}

const shiftDate = (date: string, days: number) =>
  new Date(parseLocalDate(date) + days * DAY).toISOString().slice(0, 10);

/** The instants any zone's [from, to] could need, before the zone is known; refuses absurd ranges early. */
function fetchWindow(from: string | undefined, to: string | undefined, now: Date) {
  if (from) checkDate(from, 'querystring.from');
  if (to) checkDate(to, 'querystring.to');
  const utcToday = now.toISOString().slice(0, 10);
  const first = from ?? shiftDate(utcToday, -1);
  const last = to ?? shiftDate(from ?? shiftDate(utcToday, 1), 6);
  if ((parseLocalDate(last) - parseLocalDate(first)) / DAY > MAX_RANGE_DAYS + 2) dateRange(first, last, 'UTC', now);
  return windowOf(first, last);
}

/** Defaults: from today in the clinician's zone, a week long. */
function dateRange(from: string | undefined, to: string | undefined, zone: string, now: Date) {
  if (from) checkDate(from, 'querystring.from');
  if (to) checkDate(to, 'querystring.to');
  const today = new ZoneOffsets(zone, now.getTime() - DAY, now.getTime() + DAY).localDate(now.getTime());
  const f = from ?? today;
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

function timeErrors(items: Array<{ startTime: string; endTime: string; weekday: number }>): FieldError[] {
  const errors: FieldError[] = [];
  items.forEach((r, i) => {
    if (r.startTime >= r.endTime)
      errors.push({ path: `body.${i}.endTime`, message: 'must be after startTime' });
  });
  if (errors.length) return errors;
  for (const [a, b] of overlappingRules(items))
    errors.push({
      path: `body.${items.indexOf(b)}`,
      message: `overlaps ${a.startTime}-${a.endTime} on weekday ${a.weekday}`,
    });
  return errors;
}

function ruleErrors(c: Clinician, rules: RuleInput[]): FieldError[] {
  const errors: FieldError[] = [];
  rules.forEach((r, i) => {
    if (!c.modes.includes(r.mode))
      errors.push({
        path: `body.${i}.mode`,
        message: `the clinician does not offer ${r.mode} consultations`,
      });
    if (r.mode === 'in_person' && !c.centres.some((x) => x.id === r.centreId))
      errors.push({ path: `body.${i}.centreId`, message: 'must be a centre the clinician works at' });
    if (r.mode === 'online' && r.centreId)
      errors.push({ path: `body.${i}.centreId`, message: 'must be empty for online consultations' });
  });
  return [...errors, ...timeErrors(rules)];
}
