/** A thin client for Carebook's HTTP API: bearer tokens, one refresh on 401, problem+json errors. */
export type Problem = { status: number; code: string; detail: string; title?: string };
export type Money = { amount: number; currency: string };
export type User = { id: string; phone: string; fullName: string | null; email: string | null; role: string };

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

const KEY = 'carebook.session';
type Session = { accessToken: string; refreshToken: string; user: User };

export const session = {
  get(): Session | null {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  },
  set(s: Session | null) {
    if (s) localStorage.setItem(KEY, JSON.stringify(s));
    else localStorage.removeItem(KEY);
    window.dispatchEvent(new Event('carebook-session'));
  },
};

async function send(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

// Refresh tokens rotate on every use and a reused one ends the whole login, so requests that
// fail together must share one refresh.
let refreshing: Promise<Session | null> | null = null;
function refresh(s: Session): Promise<Session | null> {
  refreshing ??= rotate(s).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function rotate(s: Session): Promise<Session | null> {
  const res = await send('POST', '/api/patient-auth/refresh-token', { refreshToken: s.refreshToken });
  if (!res.ok) {
    session.set(null);
    return null;
  }
  const tokens = (await res.json()) as { accessToken: string; refreshToken: string };
  const next = { ...s, ...tokens };
  session.set(next);
  return next;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let s = session.get();
  let res = await send(method, path, body, s?.accessToken);
  if (res.status === 401 && s) {
    s = await refresh(s);
    if (s) res = await send(method, path, body, s.accessToken);
  }
  if (res.status === 204) return undefined as T;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new ApiError({
      status: res.status,
      code: data.code ?? 'ERROR',
      detail: data.detail ?? res.statusText,
      title: data.title,
    });
  }
  return data as T;
}

export const formatMoney = (m: Money) =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currency }).format(m.amount / 100);

export const formatTime = (iso: string, timeZone?: string) =>
  new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(new Date(iso));
