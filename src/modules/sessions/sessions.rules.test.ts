import { describe, expect, test } from 'vitest';
import { splitFee } from '../billing/billing.rules.js';
import { blockDueAt, blocksDue, nextStatus } from './sessions.rules.js';

const at = (min: number) => new Date(Date.UTC(2030, 0, 7, 6, 0) + min * 60_000);

describe('blocksDue (10-minute blocks from the anchor)', () => {
  test.each([
    [null, 50, null, 0],
    [0, -1, null, 0],
    [0, 0, null, 1],
    [0, 9.99, null, 1],
    [0, 10, null, 2],
    [0, 35, null, 4],
    [0, 35, 12, 2],
    [0, 35, 20, 3],
    [0, 12, 35, 2],
    [0, 0, 0, 1],
  ])('anchor %s, up to %s, ended %s -> %s', (anchor, upTo, ended, expected) => {
    expect(
      blocksDue(anchor === null ? null : at(anchor), 10, at(upTo), ended === null ? null : at(ended)),
    ).toBe(expected);
  });

  test('block n falls due at anchor + (n-1) blocks', () => {
    expect(blockDueAt(at(0), 10, 1)).toEqual(at(0));
    expect(blockDueAt(at(0), 10, 4)).toEqual(at(30));
  });
});

describe('state machine', () => {
  test.each([
    ['text', 'WAITING', 'activate', 'ACTIVE'],
    ['text', 'ACTIVE', 'end', 'ENDED'],
    ['text', 'ACTIVE', 'activate', null],
    ['text', 'ENDED', 'end', null],
    ['call', 'RINGING', 'connect', 'CONNECTED'],
    ['call', 'RINGING', 'miss', 'MISSED'],
    ['call', 'RINGING', 'reject', 'REJECTED'],
    ['call', 'CONNECTED', 'reject', null],
    ['call', 'MISSED', 'connect', null],
    ['text', 'WAITING', 'connect', null],
  ] as const)('%s %s --%s--> %s', (kind, from, event, to) => {
    expect(nextStatus(kind, from, event)).toBe(to);
  });
});

describe('fee split', () => {
  test.each([
    [50_000, 20, 40_000, 10_000],
    [999, 20, 800, 199],
    [1, 20, 1, 0],
    [10_000, 0, 10_000, 0],
  ])('%s at %s%% -> doctor %s, platform %s', (amount, pct, doctor, platform) => {
    expect(splitFee(amount, pct)).toEqual({ doctor, platform });
    expect(doctor + platform).toBe(amount);
  });
});
