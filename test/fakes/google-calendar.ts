import { exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { type FakeReply, type RecordedRequest, startFakeServer } from './http-server.js';

export const FAKE_SERVICE_ACCOUNT = 'carebook@carebook-test.iam.gserviceaccount.com';
export const FAKE_SUBJECT = 'clinic@carebook.test';
export const FAKE_CALENDAR_ID = 'clinic@carebook.test';
export const FAKE_ACCESS_TOKEN = 'ya29.fake-token';
export const MEET_LINK = 'https://meet.google.com/abc-defg-hij';

type When = { dateTime: string; timeZone?: string };
export type FakeEvent = {
  id: string;
  summary?: string;
  start: When;
  end: When;
  status: 'confirmed' | 'cancelled';
  hangoutLink: string;
};

/** Lets a test replace one answer; `next()` is the calendar's own behaviour (it changes the store). */
export type CalendarScript = (req: RecordedRequest, next: () => FakeReply) => FakeReply | Promise<FakeReply>;

/**
 * A local stand-in for Google's OAuth token endpoint and Calendar API v3 (events insert, get, patch,
 * delete), over real HTTP, so the client code runs unchanged. It keeps the events it was given and
 * answers as Google does: 409 for an id that exists, 404 for an unknown event, 410 for a deleted one
 * (deleted events stay, with status `cancelled`), 204 for a delete. Only tokens signed by the
 * service account's key are accepted.
 */
export async function startFakeGoogleCalendar(opts: { now: () => Date }) {
  const keys = await generateKeyPair('RS256', { extractable: true });
  const events = new Map<string, FakeEvent>();
  const verified: Array<Record<string, unknown>> = [];
  let script: CalendarScript = (_req, next) => next();

  async function token(body: string): Promise<FakeReply> {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    try {
      const { payload, protectedHeader } = await jwtVerify(form.get('assertion') ?? '', keys.publicKey, {
        algorithms: ['RS256'],
        issuer: FAKE_SERVICE_ACCOUNT,
        audience: `${server.url}/token`,
        subject: FAKE_SUBJECT,
        currentDate: opts.now(),
      });
      verified.push({ ...payload, alg: protectedHeader.alg });
      return {
        status: 200,
        body: { access_token: FAKE_ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' },
      };
    } catch {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
    }
  }

  const eventsPath = `/calendar/v3/calendars/${encodeURIComponent(FAKE_CALENDAR_ID)}/events`;
  const error = (status: number, message: string): FakeReply => ({
    status,
    body: { error: { code: status, message } },
  });
  const withConference = (e: FakeEvent) => ({
    ...e,
    conferenceData: {
      createRequest: { status: { statusCode: 'success' } },
      entryPoints: [{ entryPointType: 'video', uri: e.hangoutLink }],
    },
  });

  function calendar(req: RecordedRequest): FakeReply {
    if (req.headers.authorization !== `Bearer ${FAKE_ACCESS_TOKEN}`) return error(401, 'Invalid Credentials');
    const [path] = req.path.split('?') as [string];
    if (!path.startsWith(eventsPath)) return error(404, 'Not Found');
    const id = decodeURIComponent(path.slice(eventsPath.length).replace(/^\//, ''));
    if (req.method === 'POST' && id === '') {
      const body = JSON.parse(req.body) as FakeEvent;
      if (events.has(body.id)) return error(409, 'The requested identifier already exists.');
      const created: FakeEvent = {
        id: body.id,
        summary: body.summary,
        start: body.start,
        end: body.end,
        status: 'confirmed',
        hangoutLink: MEET_LINK,
      };
      events.set(body.id, created);
      return { status: 200, body: withConference(created) };
    }
    const found = events.get(id);
    if (!found) return error(404, 'Not Found');
    if (found.status === 'cancelled') return error(410, 'Resource has been deleted');
    if (req.method === 'GET') return { status: 200, body: withConference(found) };
    if (req.method === 'PATCH') {
      const patch = JSON.parse(req.body) as Partial<FakeEvent>;
      Object.assign(found, patch.start ? { start: patch.start } : {}, patch.end ? { end: patch.end } : {});
      return { status: 200, body: withConference(found) };
    }
    if (req.method === 'DELETE') {
      found.status = 'cancelled';
      return { status: 204 };
    }
    return error(405, 'Method Not Allowed');
  }

  const server = await startFakeServer((req) =>
    req.path === '/token' ? token(req.body) : script(req, () => calendar(req)),
  );

  const privateKeyPem = await exportPKCS8(keys.privateKey);
  return {
    url: server.url,
    /** Every request, token exchanges included, in order. */
    requests: server.requests,
    /** Calendar API requests only. */
    calendarRequests: () => server.requests.filter((r) => r.path !== '/token'),
    events,
    verified,
    eventsPath,
    privateKeyPem,
    script(fn: CalendarScript) {
      script = fn;
    },
    reset() {
      server.requests.length = 0;
      verified.length = 0;
      script = (_req, next) => next();
    },
    /** The app's environment for Google Meet against this fake. */
    env(key = privateKeyPem): Record<string, string> {
      return {
        VIDEO_PROVIDER: 'google_meet',
        GOOGLE_SERVICE_ACCOUNT_EMAIL: FAKE_SERVICE_ACCOUNT,
        GOOGLE_PRIVATE_KEY: key.replace(/\n/g, '\\n'),
        GOOGLE_IMPERSONATE_SUBJECT: FAKE_SUBJECT,
        GOOGLE_CALENDAR_ID: FAKE_CALENDAR_ID,
        GOOGLE_CALENDAR_API_URL: `${server.url}/calendar/v3`,
        GOOGLE_TOKEN_URL: `${server.url}/token`,
      };
    },
    close: server.close,
  };
}
export type FakeGoogleCalendar = Awaited<ReturnType<typeof startFakeGoogleCalendar>>;
