/** Pure rules of the video module. */

export const MAX_ATTEMPTS = 5;

export const isUuid = (s: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
const BASE_DELAY_MS = 30_000;
const MAX_DELAY_MS = 30 * 60_000;

/** Exponential backoff after failed attempt `attempt` (1-based): 30 s, 1, 2, 4, 8 min, capped at 30 min. */
export const backoffMs = (attempt: number) =>
  Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));

/** 4xx (but 408 and 429) means the request itself is wrong: no retry can help. */
export function classifyHttpStatus(status: number): 'ok' | 'permanent' | 'retryable' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 429) return 'retryable';
  if (status >= 400 && status < 500) return 'permanent';
  return 'retryable';
}

/** A Jitsi room from 16 random bytes: 128 bits, so a room cannot be guessed or enumerated. */
export function jitsiRoomName(random: Buffer): string {
  if (random.length < 16) throw new Error('a Jitsi room name needs at least 16 random bytes');
  return `carebook-${random.toString('hex')}`;
}

export const jitsiUrl = (baseUrl: string, room: string) =>
  `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(room)}`;

/**
 * Google Calendar event ids allow base32hex characters (a-v, 0-9), 5 to 1024 long. Deriving the id
 * from our session id makes events.insert idempotent: a retry that already succeeded gets 409.
 */
export const googleEventId = (videoSessionId: string) =>
  `cb${videoSessionId.replace(/-/g, '').toLowerCase()}`;

type GoogleEvent = {
  id?: string;
  hangoutLink?: string;
  conferenceData?: { entryPoints?: Array<{ entryPointType?: string; uri?: string }> };
};

/** The Meet link of an event, once Google has created its conference (it may still be pending). */
export function meetLinkOf(event: GoogleEvent): string | null {
  const video = event.conferenceData?.entryPoints?.find((e) => e.entryPointType === 'video')?.uri;
  const link = event.hangoutLink ?? video ?? null;
  return link && /^https:\/\//.test(link) ? link : null;
}

/**
 * What the Google event of a session needs so that it follows the row: moved to the row's times
 * (SCHEDULED), deleted (CANCELLED), nothing yet (PENDING: the create job uses the row's times and
 * asks again once the event exists), or nothing at all (Jitsi rooms are timeless).
 */
export function calendarChangeFor(row: {
  provider: 'JITSI' | 'GOOGLE_MEET';
  status: 'PENDING' | 'SCHEDULED' | 'CANCELLED';
}): 'move' | 'delete' | 'wait' | 'none' {
  if (row.provider !== 'GOOGLE_MEET') return 'none';
  if (row.status === 'CANCELLED') return 'delete';
  return row.status === 'SCHEDULED' ? 'move' : 'wait';
}
