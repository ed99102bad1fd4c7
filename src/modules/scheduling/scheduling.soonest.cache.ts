import type { Logger } from 'pino';
import type { CacheTicket, OccupancyWatch } from './scheduling.cache.js';

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
  const generations = new Map<string, number>();
  // Bumped by clear(): tickets taken before it cannot store.
  let epoch = 0;
  let state: 'off' | 'starting' | 'on' = 'off';

  const current = (t: CacheTicket) =>
    t.epoch === epoch && t.generation === (generations.get(t.clinicianId) ?? 0);

  function clear() {
    epoch++;
    entries.clear();
  }

  function startWatching() {
    if (state !== 'off' || !deps.watch) return;
    state = 'starting';
    deps
      .watch({
        onChange: (clinicianId) => generations.set(clinicianId, (generations.get(clinicianId) ?? 0) + 1),
        onLost: () => {
          state = 'off';
          clear();
        },
      })
      .then(
        () => {
          if (state === 'starting') state = 'on';
        },
        (err) => {
          state = 'off';
          deps.log.warn({ err }, 'next-slot cache could not watch occupancy; serving uncached');
        },
      );
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

    /** A ticket when caching is on, else null (and the watch is started for later requests). */
    ticket(clinicianId: string): CacheTicket | null {
      startWatching();
      return state === 'on' ? { clinicianId, generation: generations.get(clinicianId) ?? 0, epoch } : null;
    },

    set(key: string, ticket: CacheTicket | null, value: V, validUntil: number): void {
      if (!ticket || state !== 'on' || !current(ticket)) return;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(key, { ...ticket, value, validUntil, storedAt: performance.now() });
    },

    clear,
  };
}
