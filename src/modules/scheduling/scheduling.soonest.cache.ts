import type { Logger } from 'pino';
import { type CacheTicket, createFreshness, type OccupancyWatch } from './scheduling.freshness.js';

/** Remote schedule and catalog changes show within this long (the slot listings' bound). */
const MAX_AGE_MS = 5_000;
/** Memory bound: entries are small objects; past this many the cache starts again. */
const MAX_ENTRIES = 20_000;

type Entry<V> = CacheTicket & { value: V; validUntil: number; storedAt: number };

/**
 * Answers per key under the slot listings' freshness rules (`scheduling.cache.ts`): served until the
 * first instant they can change by time alone (`validUntil`), at most 5 s, and never after booking's
 * change feed names their clinician (own commits at once, other instances' through NOTIFY) or
 * `clear()` ran. While the feed is down nothing is kept. Values are kept as objects (no JSON to
 * parse on a hit), which is why this is not the listings' byte cache.
 */
export function createAnswerCache<V>(deps: { watch?: OccupancyWatch; log: Logger }) {
  const entries = new Map<string, Entry<V>>();
  const freshness = createFreshness({ ...deps, name: 'next-slot cache', onLost: () => entries.clear() });
  const { current, ticket } = freshness;

  function clear() {
    freshness.invalidate();
    entries.clear();
  }

  return {
    /** Whether nothing changed for the ticket's clinician since it was taken. */
    current,

    get(key: string, now: Date): { value: V } | undefined {
      const e = entries.get(key);
      if (!e) return undefined;
      if (current(e) && now.getTime() < e.validUntil && performance.now() - e.storedAt < MAX_AGE_MS)
        return { value: e.value };
      entries.delete(key);
      return undefined;
    },

    ticket,

    set(key: string, ticket: CacheTicket | null, value: V, validUntil: number): void {
      if (!freshness.canStore(ticket)) return;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(key, { ...ticket, value, validUntil, storedAt: performance.now() });
    },

    clear,
  };
}
