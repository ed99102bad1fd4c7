import { importPKCS8, SignJWT } from 'jose';
import type { Config } from '../../config.js';
import type { Clock } from '../../platform/clock.js';
import { classifyHttpStatus, googleEventId, meetLinkOf } from './video.rules.js';

type GoogleConfig = NonNullable<Config['video']['googleMeet']>;
export type MeetingRequest = { videoSessionId: string; title: string; startsAt: Date; endsAt: Date };
export type MeetingOutcome =
  | { kind: 'created'; meetingId: string; joinUrl: string }
  | { kind: 'permanent'; error: string }
  | { kind: 'retryable'; error: string };
/** The answer to a change of an existing event (move or delete). */
export type EventChangeOutcome =
  | { kind: 'done' }
  | { kind: 'permanent'; error: string }
  | { kind: 'retryable'; error: string };

const SCOPE = 'https://www.googleapis.com/auth/calendar.events';
const TIMEOUT_MS = 10_000;

class ProviderError extends Error {
  constructor(
    readonly kind: 'permanent' | 'retryable',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Google Calendar as a service account: a JWT assertion signed RS256 with the account's private key
 * is exchanged for an access token (cached until shortly before it expires), then events.insert
 * with conferenceData.createRequest asks Google for a Meet link.
 */
export function createGoogleMeetClient(cfg: GoogleConfig, clock: Clock) {
  let keyPromise: ReturnType<typeof importPKCS8> | undefined;
  let cached: { token: string; expiresAt: number } | undefined;

  async function http(
    url: string,
    init: RequestInit,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      throw new ProviderError('retryable', `network error: ${(err as Error).name}`);
    }
    const text = await res.text().catch(() => '');
    let body: Record<string, unknown> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {}
    return { status: res.status, body };
  }

  async function accessToken(): Promise<string> {
    const now = clock.now().getTime();
    if (cached && cached.expiresAt - 60_000 > now) return cached.token;
    keyPromise ??= importPKCS8(cfg.privateKey, 'RS256');
    const iat = Math.floor(now / 1000);
    const jwt = new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(cfg.serviceAccountEmail)
      .setAudience(cfg.tokenUrl)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600);
    if (cfg.impersonateSubject) jwt.setSubject(cfg.impersonateSubject);
    const assertion = await jwt.sign(await keyPromise);
    const res = await http(cfg.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion,
      }).toString(),
    });
    const verdict = classifyHttpStatus(res.status);
    if (verdict !== 'ok' || typeof res.body.access_token !== 'string')
      throw new ProviderError(verdict === 'ok' ? 'retryable' : verdict, `token exchange: HTTP ${res.status}`);
    const ttl = typeof res.body.expires_in === 'number' ? res.body.expires_in : 3600;
    cached = { token: res.body.access_token, expiresAt: now + ttl * 1000 };
    return cached.token;
  }

  const eventsUrl = () =>
    `${cfg.calendarApiUrl.replace(/\/+$/, '')}/calendars/${encodeURIComponent(cfg.calendarId)}/events`;

  async function createMeeting(req: MeetingRequest): Promise<MeetingOutcome> {
    try {
      const token = await accessToken();
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const eventId = googleEventId(req.videoSessionId);
      let res = await http(`${eventsUrl()}?conferenceDataVersion=1`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          id: eventId,
          summary: req.title,
          start: { dateTime: req.startsAt.toISOString(), timeZone: 'UTC' },
          end: { dateTime: req.endsAt.toISOString(), timeZone: 'UTC' },
          conferenceData: {
            createRequest: { requestId: req.videoSessionId, conferenceSolutionKey: { type: 'hangoutsMeet' } },
          },
        }),
      });
      // 409: an earlier attempt created the event (its reply was lost); read it instead.
      if (res.status === 409)
        res = await http(`${eventsUrl()}/${eventId}?conferenceDataVersion=1`, { method: 'GET', headers });
      const verdict = classifyHttpStatus(res.status);
      if (verdict !== 'ok') return { kind: verdict, error: `events.insert: HTTP ${res.status}` };
      const link = meetLinkOf(res.body);
      // Conference creation can still be pending; the next attempt reads the event again.
      if (!link) return { kind: 'retryable', error: 'Meet conference still pending' };
      return { kind: 'created', meetingId: String(res.body.id ?? eventId), joinUrl: link };
    } catch (err) {
      if (err instanceof ProviderError) return { kind: err.kind, error: err.message };
      return { kind: 'permanent', error: `google client: ${(err as Error).name}` };
    }
  }

  /** Runs one event change; any thrown failure (token, network, key) becomes an outcome. */
  async function change(
    op: string,
    eventId: string,
    init: { method: 'PATCH' | 'DELETE'; body?: string },
    gone: 'done' | 'permanent',
  ): Promise<EventChangeOutcome> {
    try {
      const token = await accessToken();
      const res = await http(`${eventsUrl()}/${encodeURIComponent(eventId)}`, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
      });
      // 404/410: the event no longer exists (deleted by us earlier, or by hand in the calendar).
      if (res.status === 404 || res.status === 410)
        return gone === 'done' ? { kind: 'done' } : { kind: 'permanent', error: `${op}: HTTP ${res.status}` };
      const verdict = classifyHttpStatus(res.status);
      return verdict === 'ok' ? { kind: 'done' } : { kind: verdict, error: `${op}: HTTP ${res.status}` };
    } catch (err) {
      if (err instanceof ProviderError) return { kind: err.kind, error: err.message };
      return { kind: 'permanent', error: `google client: ${(err as Error).name}` };
    }
  }

  /** events.patch with the new start and end only: the conference and its Meet link stay. */
  const moveEvent = (req: { eventId: string; startsAt: Date; endsAt: Date }) =>
    change(
      'events.patch',
      req.eventId,
      {
        method: 'PATCH',
        body: JSON.stringify({
          start: { dateTime: req.startsAt.toISOString(), timeZone: 'UTC' },
          end: { dateTime: req.endsAt.toISOString(), timeZone: 'UTC' },
        }),
      },
      'permanent',
    );

  /** events.delete; an event already gone counts as deleted. */
  const deleteEvent = (req: { eventId: string }) =>
    change('events.delete', req.eventId, { method: 'DELETE' }, 'done');

  return { createMeeting, moveEvent, deleteEvent };
}

export type GoogleMeetClient = ReturnType<typeof createGoogleMeetClient>;
