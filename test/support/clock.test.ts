import { describe, expect, test } from 'vitest';
import { IST, nextWeekday, TEST_START, TestClock } from './clock.js';

describe('TestClock', () => {
  test('answers calendar questions about its today, in a zone', () => {
    // A Monday, 22:00 UTC = Tuesday 03:30 in Kolkata.
    const clock = new TestClock('2030-01-07T22:00:00Z');
    expect(clock.day(0)).toBe('2030-01-07');
    expect(clock.day(0, IST)).toBe('2030-01-08');
    expect([clock.weekday(0), clock.weekday(0, IST), clock.weekday(6, IST)]).toEqual([1, 2, 1]);
    expect(clock.at(1, '09:30', IST).toISOString()).toBe('2030-01-09T04:00:00.000Z');
    expect(clock.local(1, '09:30', IST)).toBe('2030-01-09T09:30:00+05:30');
    expect(clock.local(0, '09:00')).toBe('2030-01-07T09:00:00+00:00');
    clock.advanceMinutes(120);
    expect(clock.day(0)).toBe('2030-01-08');
    clock.reset();
    expect(clock.now().toISOString()).toBe('2030-01-07T22:00:00.000Z');
  });

  test('local times follow daylight saving', () => {
    const clock = new TestClock('2030-03-29T06:00:00Z');
    expect(clock.local(0, '09:00', 'Europe/London')).toBe('2030-03-29T09:00:00+00:00');
    expect(clock.local(3, '09:00', 'Europe/London')).toBe('2030-04-01T09:00:00+01:00');
  });

  test('nextWeekday counts days to the next such weekday, today only when asked', () => {
    const clock = new TestClock('2030-01-09T06:00:00Z'); // a Wednesday
    expect(nextWeekday(clock, 3)).toBe(7);
    expect(nextWeekday(clock, 3, 'UTC', { orToday: true })).toBe(0);
    expect(nextWeekday(clock, 4)).toBe(1);
    expect(nextWeekday(clock, 1)).toBe(5);
  });

  test('starts at TEST_START unless told otherwise', () => {
    expect(new TestClock().now()).toEqual(new Date(TEST_START));
  });
});
