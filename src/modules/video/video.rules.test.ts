import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  backoffMs,
  calendarChangeFor,
  classifyHttpStatus,
  googleEventId,
  jitsiRoomName,
  jitsiUrl,
  meetLinkOf,
} from './video.rules.js';

describe('video rules', () => {
  test.each([
    ['https://meet.jit.si', 'carebook-ab', 'https://meet.jit.si/carebook-ab'],
    ['https://meet.jit.si/', 'carebook-ab', 'https://meet.jit.si/carebook-ab'],
    ['https://video.clinic.test/rooms//', 'carebook-ab', 'https://video.clinic.test/rooms/carebook-ab'],
  ])('%s + %s -> %s', (base, room, url) => {
    expect(jitsiUrl(base, room)).toBe(url);
  });

  test('room names carry 128 random bits and never repeat', () => {
    const names = new Set(Array.from({ length: 1000 }, () => jitsiRoomName(randomBytes(16))));
    expect(names.size).toBe(1000);
    for (const n of names) expect(n).toMatch(/^carebook-[0-9a-f]{32}$/);
    expect(() => jitsiRoomName(randomBytes(8))).toThrow();
  });

  test.each([
    ['0b7f3a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b', 'cb0b7f3a521c2d4e5f8a9b0c1d2e3f4a5b'],
    ['FFFFFFFF-1C2D-4E5F-8A9B-0C1D2E3F4A5B', 'cbffffffff1c2d4e5f8a9b0c1d2e3f4a5b'],
  ])('event id of %s is base32hex %s', (id, eventId) => {
    expect(googleEventId(id)).toBe(eventId);
    expect(eventId).toMatch(/^[a-v0-9]{5,1024}$/);
  });

  test.each([
    [{ hangoutLink: 'https://meet.google.com/a-b-c' }, 'https://meet.google.com/a-b-c'],
    [
      {
        conferenceData: {
          entryPoints: [
            { entryPointType: 'phone', uri: 'tel:+1' },
            { entryPointType: 'video', uri: 'https://meet.google.com/x' },
          ],
        },
      },
      'https://meet.google.com/x',
    ],
    [{ conferenceData: { entryPoints: [{ entryPointType: 'phone', uri: 'tel:+1' }] } }, null],
    [{}, null],
    [{ hangoutLink: 'javascript:alert(1)' }, null],
  ])('meet link of %j is %s', (event, link) => {
    expect(meetLinkOf(event)).toBe(link);
  });

  test.each([
    [200, 'ok'],
    [400, 'permanent'],
    [403, 'permanent'],
    [429, 'retryable'],
    [500, 'retryable'],
  ] as const)('HTTP %i is %s', (status, verdict) => {
    expect(classifyHttpStatus(status)).toBe(verdict);
  });

  test.each([
    [1, 30_000],
    [3, 120_000],
    [20, 1_800_000],
  ])('backoff after attempt %i is %i ms', (attempt, ms) => {
    expect(backoffMs(attempt)).toBe(ms);
  });

  test.each([
    ['GOOGLE_MEET', 'SCHEDULED', 'move'],
    ['GOOGLE_MEET', 'CANCELLED', 'delete'],
    ['GOOGLE_MEET', 'PENDING', 'wait'],
    ['JITSI', 'SCHEDULED', 'none'],
    ['JITSI', 'CANCELLED', 'none'],
    ['JITSI', 'PENDING', 'none'],
  ] as const)('a %s session %s needs %s of its calendar event', (provider, status, change) => {
    expect(calendarChangeFor({ provider, status })).toBe(change);
  });
});
