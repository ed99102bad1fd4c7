import type { Logger } from 'pino';

/** Booking's change feed of held and booked time (docs/module-contracts.md). */
export type OccupancyWatch = (watcher: {
  onChange: (clinicianId: string) => void;
  onLost: () => void;
}) => Promise<() => void>;

/** Remote schedule and catalog changes show within this long (same bound as catalog's cache). */
const MAX_AGE_MS = 5_000;
/** Memory bound: a 30-day listing is about 60 KB of JSON, so this holds some hundreds of them. */
const MAX_BYTES = 16_000_000;

/** Taken before reading occupancy; the reply is stored only if nothing changed meanwhile. */
export type CacheTicket = { clinicianId: string; generation: number; epoch: number };
/** A reply as the bytes sent (UTF-8 JSON), and the first instant it can change by time alone. */
export type Built = { body: Buffer; validUntil: number };
type Entry = CacheTicket & Built & { storedAt: number };

/**
 * Serialized slot listings, per instance. An entry is served until the first instant its content
 * could change by time alone (its first slot starts, a hold in it lapses), or until booking says
 * the clinician's occupancy changed: at once for this instance's own commits, through NOTIFY for
 * other instances'. While the watch is down nothing is cached, so a lost connection costs speed,
 * never freshness. Bodies are kept as the bytes sent, so a hit costs no serialising or encoding.
 *
 * Concurrent misses of one key share one build (`load`): when an entry lapses under load, 50
 * connections would otherwise run 50 identical reads at once, which is what the slowest
 * percentile of a listing waited on. A request joins a build only under the same rules as a stored
 * entry: nothing has changed since the build began, and the result is still valid at its own `now`.
 */
export function createListingCache(deps: { watch?: OccupancyWatch; log: Logger }) {
  const entries = new Map<string, Entry>();
  const building = new Map<string, { ticket: CacheTicket; built: Promise<Built> }>();
  let bytes = 0;
  const drop = (key: string) => {
    bytes -= entries.get(key)?.body.length ?? 0;
    entries.delete(key);
  };
  const empty = () => {
    entries.clear();
    bytes = 0;
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

  function get(key: string, now: Date): Buffer | undefined {
    const e = entries.get(key);
    if (!e) return undefined;
    const fresh = current(e) && now.getTime() < e.validUntil && performance.now() - e.storedAt < MAX_AGE_MS;
    if (fresh) return e.body;
    drop(key);
    return undefined;
  }

  /** A ticket when caching is on, else null (and the watch is started for later requests). */
  function ticket(clinicianId: string): CacheTicket | null {
    startWatching();
    return state === 'on' ? { clinicianId, generation: generations.get(clinicianId) ?? 0, epoch } : null;
  }

  function set(key: string, t: CacheTicket | null, built: Built): void {
    if (!t || state !== 'on' || !current(t)) return;
    drop(key);
    if (bytes + built.body.length > MAX_BYTES) empty();
    entries.set(key, { ...built, storedAt: performance.now(), ...t });
    bytes += built.body.length;
  }

  /** Starts `build` for `key`, shared with requests that join it while its ticket is current. */
  function start(key: string, t: CacheTicket | null, build: () => Promise<Built>): Promise<Built> {
    const built = build();
    if (!t) return built;
    building.set(key, { ticket: t, built });
    const done = () => {
      if (building.get(key)?.built === built) building.delete(key);
    };
    built.then(done, done);
    return built;
  }

  return {
    /**
     * The cached body for `key` at `now`, or the body of a build in flight that may be shared, or
     * `build()`'s (stored when nothing changed for `clinicianId` while it ran).
     */
    async load(key: string, clinicianId: string, now: Date, build: () => Promise<Built>): Promise<Buffer> {
      const hit = get(key, now);
      if (hit) return hit;
      const t = ticket(clinicianId);
      const flying = t ? building.get(key) : undefined;
      if (flying && current(flying.ticket)) {
        const shared = await flying.built;
        if (now.getTime() < shared.validUntil) return shared.body;
      }
      const built = await start(key, t, build);
      set(key, t, built);
      return built.body;
    },

    clear,
  };
}

export type ListingCache = ReturnType<typeof createListingCache>;
