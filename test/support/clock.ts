import { DateTime } from 'luxon';
import { ManualClock } from '../../src/platform/clock.js';

/**
 * Where every test clock starts unless a test says otherwise: a Monday, 06:00 UTC (11:30 in
 * Kolkata, 06:00 in London). Tests derive their dates from the clock (`clock.day(1)`,
 * `clock.local(2, '09:00', IST)`, `nextWeekday(...)`), never from this value, so it can be moved:
 * `CAREBOOK_TEST_START=2031-11-19T06:00:00Z npx vitest run ...` runs them on another date.
 * Tests still assume the time of day (06:00 UTC), so move the date, not the hour.
 */
export const TEST_START = process.env.CAREBOOK_TEST_START ?? '2030-01-07T06:00:00Z';

export const IST = 'Asia/Kolkata';
export const UTC = 'UTC';

/** A ManualClock that answers calendar questions about "today" as the clock sees it now. */
export class TestClock extends ManualClock {
  readonly start: Date;
  constructor(start: Date | string = TEST_START) {
    super(start);
    this.start = new Date(start);
  }

  #today(days: number, zone: string): DateTime {
    return DateTime.fromJSDate(this.now(), { zone }).startOf('day').plus({ days });
  }

  /** The calendar date `days` after today in `zone`, as `YYYY-MM-DD`. */
  day(days = 0, zone = UTC): string {
    return this.#today(days, zone).toISODate()!;
  }

  /** ISO weekday (1 = Monday ... 7 = Sunday) of the day `days` after today in `zone`. */
  weekday(days = 0, zone = UTC): number {
    return this.#today(days, zone).weekday;
  }

  /** The instant at local `time` (`HH:MM`) on the day `days` after today in `zone`. */
  at(days: number, time: string, zone = UTC): Date {
    const [hour, minute] = time.split(':').map(Number);
    return this.#today(days, zone).set({ hour, minute }).toJSDate();
  }

  /** The same instant as the API writes local times: `2030-01-08T09:00:00+05:30`. */
  local(days: number, time: string, zone = UTC): string {
    return DateTime.fromJSDate(this.at(days, time, zone), { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
  }

  /** Back to where this clock started. */
  reset(): void {
    this.set(this.start);
  }
}

/**
 * Days from today (in `zone`) to the next `weekday` (1 = Monday ... 7 = Sunday); today counts
 * only with `orToday`.
 */
export function nextWeekday(clock: TestClock, weekday: number, zone = UTC, opts: { orToday?: boolean } = {}) {
  const today = clock.weekday(0, zone);
  const ahead = (weekday - today + 7) % 7;
  return ahead === 0 && !opts.orToday ? 7 : ahead;
}

/** An ISO instant with its offset (as replies carry it), as `YYYY-MM-DD` in `zone`. */
export const dateIn = (iso: string | Date, zone = UTC) =>
  DateTime.fromJSDate(new Date(iso), { zone }).toISODate()!;
