import { drizzle } from 'drizzle-orm/node-postgres';
import type { Actor } from '../../platform/auth.js';
import type { Db } from '../../platform/db/uow.js';
import { Errors, type FieldError } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import type { CatalogService, Clinician } from '../catalog/index.js';
import type { OccupancyWatch } from './scheduling.cache.js';
import {
  schedulingRepository as repo,
  type Schedule,
  type ScheduleColumns,
  scheduleColumns,
  toSchedule,
} from './scheduling.repository.js';
import { generateSlots, isOnCall, type Mode, overlappingRules, type WeeklyRule } from './scheduling.rules.js';
import { createSlotListing, honoured, type OccupancyPort, shiftDate } from './scheduling.slots.js';
import { createNextSlots, type OccupancyOfPort } from './scheduling.soonest.js';

export type { OccupancyPort, SlotView } from './scheduling.slots.js';

export type SchedulingDeps = Pick<Platform, 'clock' | 'pool' | 'uow' | 'log'> &
  // The app passes its config: listings stop at the booking horizon (`BOOKING_HORIZON_DAYS`).
  Partial<Pick<Platform, 'config'>> & {
    catalog: Pick<CatalogService, 'getClinician' | 'getClinicians' | 'listClinicians'>;
    occupancy: OccupancyPort;
    /** Booking's occupancy of several clinicians in one read (the search's next available slots). */
    occupancyOf: OccupancyOfPort;
    /** Booking's change feed; without it slot listings are not cached. */
    watchOccupancy?: OccupancyWatch;
  };

export type RuleInput = WeeklyRule;
export type ShiftInput = { weekday: number; startTime: string; endTime: string };
const DAY = 86_400_000;
const MAX_TIME_OFF_DAYS = 366;

export function createSchedulingService(deps: SchedulingDeps) {
  const read: Db = drizzle(deps.pool, { casing: 'snake_case' });
  const horizonDays = deps.config?.booking.horizonDays;
  const listing = createSlotListing({ ...deps, read, ...(horizonDays ? { horizonDays } : {}) });
  const nextSlots = createNextSlots({ ...deps, read, ...(horizonDays ? { horizonDays } : {}) });
  const forgetSchedules = () => {
    listing.forget();
    nextSlots.forget();
  };

  async function requireClinician(id: string, opts: { includeUnlisted?: boolean } = {}): Promise<Clinician> {
    const c = await deps.catalog.getClinician(id, opts);
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
    /** Each clinician's next available slot (clinician search), by id; null when none within the horizon. */
    nextAvailableSlots: nextSlots.find,
    listSlots: listing.listSlots,
    listSlotsJson: listing.listSlotsJson,
    searchSlotsJson: listing.searchSlotsJson,

    /**
     * The schedule `findSlot` reads, as columns another module's statement can carry (a booking's
     * one pre-read, issue 12), and how to read them back: hand the result to `findSlot` as `schedule`.
     */
    slotScheduleRead(clinicianId: string, startAt: Date) {
      // An invalid instant reads some schedule; findSlot answers null for it whatever it holds.
      const t = Number.isNaN(startAt.getTime()) ? 0 : startAt.getTime();
      return {
        columns: scheduleColumns(clinicianId, new Date(t - 2 * DAY), new Date(t + 2 * DAY)),
        parse: (row: Record<string, unknown>) => toSchedule(row as ScheduleColumns),
      };
    },

    /** The slot the rules offer at exactly `startAt` in `mode`, if it is still in the future. Ignores bookings. */
    async findSlot(q: {
      clinicianId: string;
      startAt: Date;
      mode: Mode;
      /** The bookable clinician the caller is reading fresh anyway (a booking): not read again here. */
      clinician?: Promise<Clinician | null>;
      /** The schedule read by the caller's own statement (see `slotScheduleRead`): not read again here. */
      schedule?: Promise<Schedule>;
    }) {
      const now = deps.clock.now();
      const t = q.startAt.getTime();
      if (Number.isNaN(t)) return null;
      // Fresh reads, in parallel: this is on every booking's path.
      const [clinician, { rules, timeOff }] = await Promise.all([
        q.clinician ?? deps.catalog.getClinician(q.clinicianId),
        q.schedule ?? repo.loadSchedule(read, q.clinicianId, new Date(t - 2 * DAY), new Date(t + 2 * DAY)),
      ]);
      if (!clinician?.modes.includes(q.mode)) return null;
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
      // The clinician read fresh here goes back too: a booking takes its fee and name from it.
      return hit
        ? { startAt: hit.startAt, endAt: hit.endAt, mode: hit.mode, centreId: hit.centreId, clinician }
        : null;
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
        tx.afterCommit(forgetSchedules);
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
      return deps.uow((tx) => {
        tx.afterCommit(forgetSchedules);
        return repo.insertTimeOff(tx.db, {
          clinicianId,
          startAt: input.startAt,
          endAt: input.endAt,
          reason: input.reason ?? '',
          createdBy: actor.userId,
          createdAt: now,
        });
      });
    },

    async removeTimeOff(actor: Actor, clinicianId: string, timeOffId: string) {
      assertCanManage(actor, clinicianId);
      const removed = await deps.uow((tx) => {
        tx.afterCommit(forgetSchedules);
        return repo.deleteTimeOff(tx.db, clinicianId, timeOffId);
      });
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
