import type { OccupancyOfPort, OccupancyPort } from '../../src/modules/scheduling/index.js';

/** Booking's batched occupancy read, made from a test's one-clinician port: one read per clinician. */
export const occupancyOfEach =
  (occupancy: OccupancyPort): OccupancyOfPort =>
  async (ids, from, to, now) =>
    (
      await Promise.all(
        ids.map(async (id) => (await occupancy(id, from, to, now)).map((o) => ({ ...o, clinicianId: id }))),
      )
    ).flat();
