import type { Logger } from 'pino';
import { type CacheTicket, createFreshness, type OccupancyWatch } from './scheduling.freshness.js';

export type { CacheTicket, OccupancyWatch } from './scheduling.freshness.js';

/** Remote schedule and catalog changes show within this long (same bound as catalog's cache). */
const MAX_AGE_MS = 5_000;
/** Memory bound: a 30-day listing is about 60 KB of JSON, so this holds some hundreds of them. */
const MAX_BYTES = 16_000_000;

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
  const freshness = createFreshness({ ...deps, name: 'slot cache', onLost: empty });
  const { current, ticket } = freshness;

  function clear() {
    freshness.invalidate();
    empty();
  }

  function get(key: string, now: Date): Buffer | undefined {
    const e = entries.get(key);
    if (!e) return undefined;
    const fresh = current(e) && now.getTime() < e.validUntil && performance.now() - e.storedAt < MAX_AGE_MS;
    if (fresh) return e.body;
    drop(key);
    return undefined;
  }

  function set(key: string, t: CacheTicket | null, built: Built): void {
    if (!freshness.canStore(t)) return;
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
