/**
 * A thin client for Carebook's HTTP API: bearer tokens, problem+json errors, silent refresh.
 *
 * Tokens live in memory only. The refresh token is an HttpOnly cookie the server sets on sign-in
 * (`carebook_refresh`, Path=/api/patient-auth), so the app refreshes with an empty body and the
 * browser sends the cookie: a script can never read it, and nothing is left in web storage.
 */
export type Problem = { status: number; code: string; detail: string; title?: string };
export type Money = { amount: number; currency: string };
export type User = { id: string; phone: string; fullName: string | null; email: string | null; role: string };

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

type Session = { accessToken: string; user: User };
type State = { status: 'loading' | 'ready'; session: Session | null };

let state: State = { status: 'loading', session: null };
const listeners = new Set<() => void>();

/** The signed-in user, as an external store for `useSyncExternalStore`. */
export const session = {
  get: (): Session | null => state.session,
  state: (): State => state,
  subscribe(fn: () => void) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  set(s: Session | null) {
    state = { status: 'ready', session: s };
    for (const fn of listeners) fn();
  },
};

async function send(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function rotate(): Promise<string | null> {
  const res = await send('POST', '/api/patient-auth/refresh-token', {}).catch(() => null);
  if (!res?.ok) return null;
  return ((await res.json()) as { accessToken: string }).accessToken;
}

// The cookie's refresh token rotates on every use and a reused one ends the whole login, so
// requests that fail together share one refresh, and tabs of the app take turns (Web Locks): each
// sends the cookie the previous one received.
let refreshing: Promise<string | null> | null = null;
function refreshAccessToken(): Promise<string | null> {
  refreshing ??= (
    typeof navigator !== 'undefined' && navigator.locks
      ? (async () => await navigator.locks.request('carebook-refresh', rotate))()
      : rotate()
  ).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// Requests made while the session is being restored wait for it, so they carry the token.
let restoring: Promise<void> | null = null;

/** On page load: a live cookie gives a new access token, then the user it belongs to. */
export function restoreSession(): Promise<void> {
  restoring = restore();
  return restoring;
}

async function restore(): Promise<void> {
  const accessToken = await refreshAccessToken();
  if (!accessToken) return session.set(null);
  const me = await send('GET', '/api/auth/me', undefined, accessToken).catch(() => null);
  session.set(me?.ok ? { accessToken, user: (await me.json()) as User } : null);
}

export function signedIn(accessToken: string, user: User) {
  session.set({ accessToken, user });
}

export async function signOut() {
  await send('POST', '/api/patient-auth/logout', {}).catch(() => {});
  session.set(null);
}

export async function problemOf(res: Response): Promise<ApiError> {
  const data = await res.json().catch(() => ({}));
  return new ApiError({
    status: res.status,
    code: data.code ?? 'ERROR',
    detail: data.detail ?? res.statusText,
    title: data.title,
  });
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  if (state.status === 'loading' && restoring) await restoring;
  const s = session.get();
  let res = await send(method, path, body, s?.accessToken);
  if (res.status === 401 && s) {
    const accessToken = await refreshAccessToken();
    if (accessToken) {
      session.set({ ...s, accessToken });
      res = await send(method, path, body, accessToken);
    } else session.set(null);
  }
  if (res.status === 204) return undefined as T;
  if (!res.ok) throw await problemOf(res);
  return (await res.json().catch(() => ({}))) as T;
}
