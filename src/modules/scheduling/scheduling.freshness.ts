import type { Logger } from 'pino';

/** Booking's change feed of held and booked time (docs/module-contracts.md). */
export type OccupancyWatch = (watcher: {
  onChange: (clinicianId: string) => void;
  onLost: () => void;
}) => Promise<() => void>;

/** Taken before reading occupancy; a result is stored only if nothing changed meanwhile. */
export type CacheTicket = { clinicianId: string; generation: number; epoch: number };

/**
 * What scheduling's per-instance caches share: booking's change feed turned into tickets. A
 * clinician's generation moves on each change the feed names; `invalidate()` moves the epoch for
 * everyone. While the feed is not on, no ticket is given, so nothing is cached: a lost connection
 * costs speed, never freshness.
 */
export function createFreshness(deps: {
  watch?: OccupancyWatch;
  log: Logger;
  name: string;
  onLost: () => void;
}) {
  const generations = new Map<string, number>();
  let epoch = 0;
  let state: 'off' | 'starting' | 'on' = 'off';

  const current = (t: CacheTicket) =>
    t.epoch === epoch && t.generation === (generations.get(t.clinicianId) ?? 0);

  function startWatching() {
    if (state !== 'off' || !deps.watch) return;
    state = 'starting';
    deps
      .watch({
        onChange: (clinicianId) => generations.set(clinicianId, (generations.get(clinicianId) ?? 0) + 1),
        onLost: () => {
          state = 'off';
          epoch++;
          deps.onLost();
        },
      })
      .then(
        () => {
          if (state === 'starting') state = 'on';
        },
        (err) => {
          state = 'off';
          deps.log.warn({ err }, `${deps.name} could not watch occupancy; serving uncached`);
        },
      );
  }

  return {
    /** Whether nothing changed for the ticket's clinician since it was taken. */
    current,
    /** A ticket when caching is on, else null (and the watch is started for later requests). */
    ticket(clinicianId: string): CacheTicket | null {
      startWatching();
      return state === 'on' ? { clinicianId, generation: generations.get(clinicianId) ?? 0, epoch } : null;
    },
    /** Whether a result read under this ticket may be stored now. */
    canStore: (t: CacheTicket | null): t is CacheTicket => t !== null && state === 'on' && current(t),
    /** Tickets taken before this can no longer store, nor match what they stored. */
    invalidate() {
      epoch++;
    },
  };
}
