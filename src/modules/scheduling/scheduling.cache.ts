import type { Logger } from 'pino';

/** Booking's change feed of held and booked time (docs/module-contracts.md). */
export type OccupancyWatch = (watcher: {
  onChange: (clinicianId: string) => void;
  onLost: () => void;
}) => Promise<() => void>;

/** Remote schedule and catalog changes show within this long (same bound as catalog's cache). */
const MAX_AGE_MS = 5_000;
/** Memory bound: a 30-day listing is about 60 KB of JSON, so this holds some hundreds of them. */
const MAX_CHARS = 16_000_000;

/** Taken before reading occupancy; the reply is stored only if nothing changed meanwhile. */
export type CacheTicket = { clinicianId: string; generation: number; epoch: number };
type Entry = CacheTicket & { body: string; validUntil: number; storedAt: number };

/**
 * Serialized slot listings, per instance. An entry is served until the first instant its content
 * could change by time alone (its first slot starts, a hold in it lapses), or until booking says
 * the clinician's occupancy changed: at once for this instance's own commits, through NOTIFY for
 * other instances'. While the watch is down nothing is cached, so a lost connection costs speed,
 * never freshness.
 */
export function createListingCache(deps: { watch?: OccupancyWatch; log: Logger }) {
  const entries = new Map<string, Entry>();
  let chars = 0;
  const drop = (key: string) => {
    chars -= entries.get(key)?.body.length ?? 0;
    entries.delete(key);
  };
  const empty = () => {
    entries.clear();
    chars = 0;
  };
  const generations = new Map<string, number>();
  // Bumped by clear(): tickets taken before it cannot store.
  let epoch = 0;
  let state: 'off' | 'starting' | 'on' = 'off';

  const current = (t: CacheTicket) =>
    t.epoch === epoch && t.generation === (generations.get(t.clinicianId) ?? 0);

  function clear() {
    epoch++;
    empty();
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
          deps.log.warn({ err }, 'slot cache could not watch occupancy; serving uncached');
        },
      );
  }

  return {
    get(key: string, now: Date): string | undefined {
      const e = entries.get(key);
      if (!e) return undefined;
      const fresh = current(e) && now.getTime() < e.validUntil && performance.now() - e.storedAt < MAX_AGE_MS;
      if (fresh) return e.body;
      drop(key);
      return undefined;
    },

    /** A ticket when caching is on, else null (and the watch is started for later requests). */
    ticket(clinicianId: string): CacheTicket | null {
      startWatching();
      return state === 'on' ? { clinicianId, generation: generations.get(clinicianId) ?? 0, epoch } : null;
    },

    set(key: string, ticket: CacheTicket | null, body: string, validUntil: number): void {
      if (!ticket || state !== 'on' || !current(ticket)) return;
      drop(key);
      if (chars + body.length > MAX_CHARS) empty();
      entries.set(key, { body, validUntil, storedAt: performance.now(), ...ticket });
      chars += body.length;
    },

    clear,
  };
}

export type ListingCache = ReturnType<typeof createListingCache>;
