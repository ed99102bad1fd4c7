import { describe, expect, test } from 'vitest';
import {
  generateSlots,
  isOnCall,
  type Occupied,
  overlappingRules,
  parseLocalDate,
  type Range,
  type Slot,
  type WeeklyRule,
  windowOf,
  withStatus,
  ZoneOffsets,
} from './scheduling.rules.js';

const LONDON = 'Europe/London';
const KOLKATA = 'Asia/Kolkata';
const NEW_YORK = 'America/New_York';
const longAgo = new Date('2000-01-01T00:00:00Z');

const rule = (
  r: Partial<WeeklyRule> & Pick<WeeklyRule, 'weekday' | 'startTime' | 'endTime'>,
): WeeklyRule => ({
  mode: 'online',
  centreId: null,
  slotMinutes: 60,
  ...r,
});
const starts = (slots: Slot[]) => slots.map((s) => s.startAt.toISOString());
const range = (a: string, b: string): Range => ({ startAt: new Date(a), endAt: new Date(b) });

describe('generateSlots across zones and daylight saving', () => {
  test.each<[string, string, string, WeeklyRule[], string[]]>([
    [
      'Kolkata, Monday 09:00-11:00, 30 min (UTC+05:30, no DST)',
      KOLKATA,
      '2030-01-07',
      [rule({ weekday: 1, startTime: '09:00', endTime: '11:00', slotMinutes: 30 })],
      [
        '2030-01-07T03:30:00.000Z',
        '2030-01-07T04:00:00.000Z',
        '2030-01-07T04:30:00.000Z',
        '2030-01-07T05:00:00.000Z',
      ],
    ],
    [
      'a slot that does not fit before the end is not offered',
      KOLKATA,
      '2030-01-07',
      [rule({ weekday: 1, startTime: '09:00', endTime: '10:45', slotMinutes: 30 })],
      ['2030-01-07T03:30:00.000Z', '2030-01-07T04:00:00.000Z', '2030-01-07T04:30:00.000Z'],
    ],
    [
      'London, Saturday before spring forward: GMT',
      LONDON,
      '2030-03-30',
      [rule({ weekday: 6, startTime: '09:00', endTime: '11:00' })],
      ['2030-03-30T09:00:00.000Z', '2030-03-30T10:00:00.000Z'],
    ],
    [
      'London, Monday after spring forward: BST',
      LONDON,
      '2030-04-01',
      [rule({ weekday: 1, startTime: '09:00', endTime: '11:00' })],
      ['2030-04-01T08:00:00.000Z', '2030-04-01T09:00:00.000Z'],
    ],
    [
      'London, spring-forward Sunday 00:00-03:00: 01:00 local does not exist',
      LONDON,
      '2030-03-31',
      [rule({ weekday: 7, startTime: '00:00', endTime: '03:00' })],
      ['2030-03-31T00:00:00.000Z', '2030-03-31T01:00:00.000Z'],
    ],
    [
      'London, spring-forward Sunday: a rule wholly inside the gap offers nothing',
      LONDON,
      '2030-03-31',
      [rule({ weekday: 7, startTime: '01:00', endTime: '02:00', slotMinutes: 30 })],
      [],
    ],
    [
      'London, spring-forward Sunday, 45 min slots: the slot after the gap would overlap and is dropped',
      LONDON,
      '2030-03-31',
      [rule({ weekday: 7, startTime: '00:00', endTime: '04:00', slotMinutes: 45 })],
      ['2030-03-31T00:00:00.000Z', '2030-03-31T00:45:00.000Z', '2030-03-31T02:00:00.000Z'],
    ],
    [
      'London, spring-forward Sunday, daytime is BST',
      LONDON,
      '2030-03-31',
      [rule({ weekday: 7, startTime: '09:00', endTime: '10:00' })],
      ['2030-03-31T08:00:00.000Z'],
    ],
    [
      'London, Saturday before fall back: BST',
      LONDON,
      '2030-10-26',
      [rule({ weekday: 6, startTime: '09:00', endTime: '10:00' })],
      ['2030-10-26T08:00:00.000Z'],
    ],
    [
      'London, Monday after fall back: GMT',
      LONDON,
      '2030-10-28',
      [rule({ weekday: 1, startTime: '09:00', endTime: '10:00' })],
      ['2030-10-28T09:00:00.000Z'],
    ],
    [
      'London, fall-back Sunday 00:00-03:00: 01:00 local happens twice and both are offered',
      LONDON,
      '2030-10-27',
      [rule({ weekday: 7, startTime: '00:00', endTime: '03:00' })],
      [
        '2030-10-26T23:00:00.000Z',
        '2030-10-27T00:00:00.000Z',
        '2030-10-27T01:00:00.000Z',
        '2030-10-27T02:00:00.000Z',
      ],
    ],
    [
      'London, fall-back Sunday 01:00-02:00, 30 min: four real slots',
      LONDON,
      '2030-10-27',
      [rule({ weekday: 7, startTime: '01:00', endTime: '02:00', slotMinutes: 30 })],
      [
        '2030-10-27T00:00:00.000Z',
        '2030-10-27T00:30:00.000Z',
        '2030-10-27T01:00:00.000Z',
        '2030-10-27T01:30:00.000Z',
      ],
    ],
    [
      'New York changes on its own date (second Sunday of March)',
      NEW_YORK,
      '2030-03-10',
      [rule({ weekday: 7, startTime: '01:00', endTime: '04:00' })],
      ['2030-03-10T06:00:00.000Z', '2030-03-10T07:00:00.000Z'],
    ],
    [
      'a rule for another weekday offers nothing',
      KOLKATA,
      '2030-01-07',
      [rule({ weekday: 2, startTime: '09:00', endTime: '11:00' })],
      [],
    ],
  ])('%s', (_name, zone, date, rules, expected) => {
    const slots = generateSlots({ zone, rules, timeOff: [], fromDate: date, toDate: date, now: longAgo });
    expect(starts(slots)).toEqual(expected);
    for (const s of slots)
      expect(s.endAt.getTime() - s.startAt.getTime()).toBe(rules[0]!.slotMinutes * 60_000);
  });

  test('slots never overlap and are sorted over a whole year in London', () => {
    const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) =>
      rule({ weekday, startTime: '00:00', endTime: '23:45', slotMinutes: 45 }),
    );
    const slots = generateSlots({
      zone: LONDON,
      rules,
      timeOff: [],
      fromDate: '2030-01-01',
      toDate: '2030-12-31',
      now: longAgo,
    });
    for (let i = 1; i < slots.length; i++)
      expect(slots[i]!.startAt.getTime()).toBeGreaterThanOrEqual(slots[i - 1]!.endAt.getTime());
  });
});

describe('generateSlots filters', () => {
  const rules = [
    rule({ weekday: 1, startTime: '09:00', endTime: '11:00', mode: 'online' }),
    rule({ weekday: 1, startTime: '14:00', endTime: '16:00', mode: 'in_person', centreId: 'c1' }),
  ];
  const base = { zone: KOLKATA, rules, fromDate: '2030-01-07', toDate: '2030-01-07' };

  test.each<[string, { now: string; timeOff?: Range[]; mode?: 'online' | 'in_person' }, string[]]>([
    [
      'all four',
      { now: '2030-01-01T00:00:00Z' },
      [
        '2030-01-07T03:30:00.000Z',
        '2030-01-07T04:30:00.000Z',
        '2030-01-07T08:30:00.000Z',
        '2030-01-07T09:30:00.000Z',
      ],
    ],
    [
      'a slot starting exactly now is past',
      { now: '2030-01-07T03:30:00Z' },
      ['2030-01-07T04:30:00.000Z', '2030-01-07T08:30:00.000Z', '2030-01-07T09:30:00.000Z'],
    ],
    ['a running slot is past', { now: '2030-01-07T08:31:00Z' }, ['2030-01-07T09:30:00.000Z']],
    [
      'mode online',
      { now: '2030-01-01T00:00:00Z', mode: 'online' },
      ['2030-01-07T03:30:00.000Z', '2030-01-07T04:30:00.000Z'],
    ],
    [
      'time off overlapping two slots removes both; touching ends keep theirs',
      {
        now: '2030-01-01T00:00:00Z',
        timeOff: [
          range('2030-01-07T10:30:00Z', '2030-01-07T11:00:00Z'),
          range('2030-01-07T04:00:00Z', '2030-01-07T05:00:00Z'),
          range('2030-01-07T07:00:00Z', '2030-01-07T08:30:00Z'),
        ],
      },
      ['2030-01-07T08:30:00.000Z', '2030-01-07T09:30:00.000Z'],
    ],
    [
      'time off covering the day removes everything',
      { now: '2030-01-01T00:00:00Z', timeOff: [range('2030-01-06T18:30:00Z', '2030-01-07T18:30:00Z')] },
      [],
    ],
  ])('%s', (_name, o, expected) => {
    const slots = generateSlots({ ...base, now: new Date(o.now), timeOff: o.timeOff ?? [], mode: o.mode });
    expect(starts(slots)).toEqual(expected);
  });

  test('in-person slots carry their centre', () => {
    const slots = generateSlots({ ...base, now: longAgo, timeOff: [], mode: 'in_person' });
    expect(slots.map((s) => s.centreId)).toEqual(['c1', 'c1']);
  });

  test('30 days of rules give 30 days of slots', () => {
    const daily = [1, 2, 3, 4, 5, 6, 7].map((weekday) =>
      rule({ weekday, startTime: '09:00', endTime: '17:00', slotMinutes: 30 }),
    );
    const slots = generateSlots({
      zone: KOLKATA,
      rules: daily,
      timeOff: [],
      fromDate: '2030-01-07',
      toDate: '2030-02-05',
      now: longAgo,
    });
    expect(slots).toHaveLength(30 * 16);
  });
});

describe('ZoneOffsets', () => {
  const w = windowOf('2030-03-01', '2030-11-30');
  test.each<[string, string, string]>([
    [LONDON, '2030-03-31T00:59:59Z', '2030-03-31T00:59:59+00:00'],
    [LONDON, '2030-03-31T01:00:00Z', '2030-03-31T02:00:00+01:00'],
    [LONDON, '2030-10-27T00:59:59Z', '2030-10-27T01:59:59+01:00'],
    [LONDON, '2030-10-27T01:00:00Z', '2030-10-27T01:00:00+00:00'],
    [KOLKATA, '2030-06-01T00:00:00Z', '2030-06-01T05:30:00+05:30'],
    [NEW_YORK, '2030-07-04T16:00:00Z', '2030-07-04T12:00:00-04:00'],
  ])('%s %s -> %s', (zone, instant, expected) => {
    expect(new ZoneOffsets(zone, w.from, w.to).format(new Date(instant).getTime())).toBe(expected);
  });

  test('local dates follow the zone', () => {
    const z = new ZoneOffsets(KOLKATA, w.from, w.to);
    expect(z.localDate(new Date('2030-06-01T18:29:00Z').getTime())).toBe('2030-06-01');
    expect(z.localDate(new Date('2030-06-01T18:30:00Z').getTime())).toBe('2030-06-02');
  });

  test('unknown zones are refused', () => {
    expect(() => new ZoneOffsets('Mars/Olympus', w.from, w.to)).toThrow('unknown time zone');
  });

  test.each([
    ['2030-02-30'],
    ['2030-13-01'],
    ['30-01-01'],
    ['2030-00-10'],
    ['2030-01-00'],
    ['2030-04-31'],
    ['2100-02-29'],
    ['0050-01-01'],
  ])('%s is not a date', (d) => {
    expect(() => parseLocalDate(d)).toThrow();
  });

  test.each([['2032-02-29'], ['2000-02-29'], ['2030-12-31'], ['2030-01-31']])('%s is a date', (d) => {
    expect(new Date(parseLocalDate(d)).toISOString().slice(0, 10)).toBe(d);
  });
});

describe('withStatus', () => {
  const slot = (a: string, b: string): Slot => ({ ...range(a, b), mode: 'online', centreId: null });
  const slots = [
    slot('2030-01-07T03:30:00Z', '2030-01-07T04:00:00Z'),
    slot('2030-01-07T04:00:00Z', '2030-01-07T04:30:00Z'),
    slot('2030-01-07T04:30:00Z', '2030-01-07T05:00:00Z'),
  ];
  const occ = (a: string, b: string, status: 'held' | 'booked'): Occupied => ({ ...range(a, b), status });
  test.each<[string, Occupied[], string[]]>([
    ['nothing occupied', [], ['available', 'available', 'available']],
    [
      'one held',
      [occ('2030-01-07T04:00:00Z', '2030-01-07T04:30:00Z', 'held')],
      ['available', 'held', 'available'],
    ],
    [
      'a longer booking covers two slots',
      [occ('2030-01-07T03:45:00Z', '2030-01-07T04:15:00Z', 'booked')],
      ['booked', 'booked', 'available'],
    ],
    [
      'booked wins over held',
      [
        occ('2030-01-07T04:30:00Z', '2030-01-07T04:40:00Z', 'held'),
        occ('2030-01-07T04:40:00Z', '2030-01-07T05:00:00Z', 'booked'),
      ],
      ['available', 'available', 'booked'],
    ],
    [
      'touching ends do not count',
      [occ('2030-01-07T03:00:00Z', '2030-01-07T03:30:00Z', 'booked')],
      ['available', 'available', 'available'],
    ],
  ])('%s', (_name, occupied, expected) => {
    expect(withStatus(slots, occupied).map((s) => s.status)).toEqual(expected);
  });
});

describe('overlappingRules', () => {
  const r = (weekday: number, startTime: string, endTime: string) => ({ weekday, startTime, endTime });
  test.each<[string, ReturnType<typeof r>[], number]>([
    ['separate hours', [r(1, '09:00', '12:00'), r(1, '12:00', '13:00')], 0],
    ['different days', [r(1, '09:00', '12:00'), r(2, '09:00', '12:00')], 0],
    ['overlap', [r(1, '09:00', '12:00'), r(1, '11:00', '13:00')], 1],
    ['contained', [r(3, '08:00', '18:00'), r(3, '10:00', '11:00')], 1],
  ])('%s -> %i clashes', (_name, rules, clashes) => {
    expect(overlappingRules(rules)).toHaveLength(clashes);
  });
});

describe('isOnCall', () => {
  const shifts = [{ weekday: 1, startTime: '20:00', endTime: '23:00' }];
  test.each<[string, string, boolean]>([
    [KOLKATA, '2030-01-07T14:30:00Z', true], // Monday 20:00 IST
    [KOLKATA, '2030-01-07T14:29:00Z', false],
    [KOLKATA, '2030-01-07T17:30:00Z', false], // 23:00 IST: the end is exclusive
    [LONDON, '2030-04-01T19:30:00Z', true], // Monday 20:30 BST
    [LONDON, '2030-04-01T22:30:00Z', false], // 23:30 BST
  ])('%s %s -> %s', (zone, at, expected) => {
    expect(isOnCall(shifts, zone, new Date(at))).toBe(expected);
  });
});

test('parseLocalDate labels a calendar day', () => {
  expect(new Date(parseLocalDate('2030-03-31')).toISOString()).toBe('2030-03-31T00:00:00.000Z');
});
