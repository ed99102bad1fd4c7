import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookAndPay, bookableClinician, initiate, localSlot, renewTokens } from './factories/booking.js';
import { createUser, type TestUser } from './factories/identity.js';
import { startTestApp, type TestApp } from './support/app.js';

/** Slot status through the real occupancy port: booking's holds and confirmations. */
describe('slot status from real bookings', () => {
  let t: TestApp;
  let doc: Awaited<ReturnType<typeof bookableClinician>>;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    doc = await bookableClinician(t, { timeZone: 'Europe/London' });
    alice = await createUser(t, { role: 'patient' });
    bob = await createUser(t, { role: 'patient' });
  });
  afterAll(() => t?.close());

  const statusAt = async (startAt: string) => {
    const day = new Date(startAt).toISOString().slice(0, 10);
    const res = await t.http.get(`/api/clinicians/${doc.id}/slots?from=${day}&to=${day}`);
    expect(res.status).toBe(200);
    return res.body.slots.find((s: { startAt: string }) => Date.parse(s.startAt) === Date.parse(startAt))
      ?.status;
  };

  test('held while the hold lives and until its expiry has asked the gateway, then available, booked once paid', async () => {
    const startAt = localSlot(t, 'Europe/London', 2, '10:00');
    expect(await statusAt(startAt)).toBe('available');
    const held = await initiate(t, alice, { clinicianId: doc.id, startAt });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect(await statusAt(startAt)).toBe('held');

    t.clock.advanceMinutes(t.platform.config.booking.holdMinutes + 1);
    // Lapsed, but its payment may have been taken in time: held until the expiry asks the gateway.
    expect(await statusAt(startAt)).toBe('held');
    await t.runJobs({ names: ['payments.expire'] });
    expect(await statusAt(startAt)).toBe('available');

    await renewTokens(t, bob);
    await bookAndPay(t, bob, doc.id, startAt);
    expect(await statusAt(startAt)).toBe('booked');
    const search = await t.http.get(`/api/slots?date=${startAt.slice(0, 10)}`);
    const mine = search.body.find((r: { clinician: { id: string } }) => r.clinician.id === doc.id);
    const slot = mine.slots.find((s: { startAt: string }) => Date.parse(s.startAt) === Date.parse(startAt));
    expect(slot.status).toBe('booked');
  });
});
