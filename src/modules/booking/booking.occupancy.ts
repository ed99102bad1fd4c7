import type { PgListener } from '../../platform/db/listener.js';
import type { Tx } from '../../platform/db/uow.js';

/** The channel the `appointments_occupancy_notify` trigger (migration 0006) notifies on. */
const CHANNEL = 'booking_occupancy';

export type OccupancyWatcher = {
  onChange: (clinicianId: string) => void;
  /** Changes may have been missed; the watch has ended. */
  onLost: () => void;
};
export type WatchOccupancy = (watcher: OccupancyWatcher) => Promise<() => void>;

/**
 * Tells watchers (scheduling's slot cache) that a clinician's held or booked time changed. Other
 * instances hear it through the trigger's NOTIFY; this instance also hears its own writes right
 * after commit, before the reply leaves, so a patient always sees their own hold at once.
 */
export function createOccupancyEvents(listener: PgListener) {
  const local = new Set<OccupancyWatcher>();
  return {
    /** The change hook for booking's repository inside `tx`: fires only if `tx` commits. */
    onCommit:
      (tx: Tx) =>
      (clinicianId: string): void =>
        tx.afterCommit(() => {
          for (const w of local) w.onChange(clinicianId);
        }),

    watch: (async (watcher) => {
      const unlisten = await listener.subscribe(CHANNEL, {
        onMessage: watcher.onChange,
        onLost: () => {
          local.delete(watcher);
          watcher.onLost();
        },
      });
      local.add(watcher);
      return () => {
        unlisten();
        local.delete(watcher);
      };
    }) satisfies WatchOccupancy,
  };
}

export type OccupancyEvents = ReturnType<typeof createOccupancyEvents>;
