export type SseEvent = { event: string; data: string; id?: string };
export type SseStream = Awaited<ReturnType<typeof openStream>>;

/**
 * A minimal Server-Sent Events client over fetch (so it can send the bearer token) for
 * GET /api/notifications/stream. `next(withinMs)` fails when no event arrives in time.
 */
export async function openStream(baseUrl: string, token?: string, lastEventId?: string, query = '') {
  const ctrl = new AbortController();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const res = await fetch(`${baseUrl}/api/notifications/stream${query}`, { headers, signal: ctrl.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  // A read left running by a timed-out `next` is handed to the next call, so no event is lost.
  let inFlight: Promise<SseEvent> | null = null;

  /** One event block, or null for a block of comments only. */
  function parse(block: string): SseEvent | null {
    const ev: SseEvent = { event: 'message', data: '' };
    let hasField = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || !line) continue;
      const [field, ...rest] = line.split(':');
      const value = rest.join(':').replace(/^ /, '');
      if (field === 'event') ev.event = value;
      else if (field === 'data') ev.data += value;
      else if (field === 'id') ev.id = value;
      else continue;
      hasField = true;
    }
    return hasField ? ev : null;
  }

  async function read(): Promise<SseEvent> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const ev = parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (ev) return ev;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  }

  async function next(withinMs?: number): Promise<SseEvent> {
    inFlight ??= read();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      if (withinMs !== undefined)
        timer = setTimeout(() => reject(new Error(`no event within ${withinMs} ms`)), withinMs);
    });
    try {
      const ev = await Promise.race([inFlight, deadline]);
      inFlight = null;
      return ev;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next `event: notification`, parsed. */
  async function nextNotification(
    withinMs = 10_000,
  ): Promise<{ id: string; template: string; body: string }> {
    for (;;) {
      const ev = await next(withinMs);
      if (ev.event === 'notification') return JSON.parse(ev.data);
    }
  }

  return { res, next, nextNotification, close: () => ctrl.abort() };
}
