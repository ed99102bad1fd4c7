import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createBookableClinician,
  createCentre,
  setAvailability,
  setListing,
} from '../../../test/factories/catalog.js';
import { createUser, type TestUser } from '../../../test/factories/identity.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { IST } from '../../../test/support/clock.js';

type SlotReply = { startAt: string; endAt: string; mode: string; centreId: string | null; status: string };
const starts = (slots: SlotReply[]) => slots.map((s) => s.startAt);

describe('scheduling over HTTP', () => {
  let t: TestApp;
  let admin: TestUser;
  let patient: TestUser;

  beforeAll(async () => {
    // The test clock: 06:00 UTC (11:30 in Kolkata) on TEST_START's date; dates below come from it.
    t = await startTestApp();
    admin = await createUser(t, { role: 'admin' });
    patient = await createUser(t, { role: 'patient' });
  });
  afterAll(() => t?.close());

  describe('weekly rules', () => {
    let doc: TestUser;
    let centre: { id: string };
    let otherCentre: { id: string };

    beforeAll(async () => {
      doc = await createUser(t, { role: 'clinician', timeZone: 'Asia/Kolkata' });
      centre = await createCentre(t, admin, { timeZone: 'Asia/Kolkata' });
      otherCentre = await createCentre(t, admin, { name: 'Elsewhere' });
      await setListing(t, admin, doc.id, { modes: ['online', 'in_person'], centreIds: [centre.id] });
    });

    test('the clinician sets their own rules and reads them back', async () => {
      const body = await setAvailability(t, doc, doc.id, [
        { weekday: 1, start: '09:00', end: '13:00', mode: 'online', slotMinutes: 30 },
        { weekday: 1, start: '14:00', end: '17:00', mode: 'in_person', centreId: centre.id, slotMinutes: 20 },
      ]);
      expect(body.timeZone).toBe('Asia/Kolkata');
      expect(body.rules).toEqual([
        { weekday: 1, start: '09:00', end: '13:00', mode: 'online', centreId: null, slotMinutes: 30 },
        { weekday: 1, start: '14:00', end: '17:00', mode: 'in_person', centreId: centre.id, slotMinutes: 20 },
      ]);
      const read = await t.http.get(`/api/clinicians/${doc.id}/availability`, { token: doc.token });
      expect(read.status).toBe(200);
      expect(read.body.rules).toHaveLength(2);
    });

    test.each<[string, object[], string]>([
      [
        'overlapping rules',
        [
          { weekday: 2, start: '09:00', end: '12:00' },
          { weekday: 2, start: '11:30', end: '13:00' },
        ],
        'body.1',
      ],
      ['end before start', [{ weekday: 2, start: '12:00', end: '09:00' }], 'body.0.endTime'],
      [
        'a centre the clinician does not work at',
        [{ weekday: 2, start: '09:00', end: '12:00', mode: 'in_person', centreId: 'OTHER' }],
        'body.0.centreId',
      ],
      [
        'in person without a centre',
        [{ weekday: 2, start: '09:00', end: '12:00', mode: 'in_person' }],
        'body.0.centreId',
      ],
      ['a bad time', [{ weekday: 2, start: '9am', end: '12:00' }], 'body.0.start'],
      ['weekday 8', [{ weekday: 8, start: '09:00', end: '12:00' }], 'body.0.weekday'],
      [
        'slots of 2 minutes',
        [{ weekday: 2, start: '09:00', end: '12:00', slotMinutes: 2 }],
        'body.0.slotMinutes',
      ],
    ])('%s is a 400 and changes nothing', async (_name, rules, path) => {
      const body = rules.map((r) => ({
        mode: 'online',
        slotMinutes: 30,
        ...r,
        ...('centreId' in r ? { centreId: otherCentre.id } : {}),
      }));
      const res = await t.http.put(`/api/clinicians/${doc.id}/availability`, body, { token: doc.token });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      const read = await t.http.get(`/api/clinicians/${doc.id}/availability`, { token: doc.token });
      expect(read.body.rules).toHaveLength(2);
    });

    test('another clinician or a patient cannot change them; an admin can', async () => {
      const other = await createUser(t, { role: 'clinician' });
      const rules = [{ weekday: 3, start: '09:00', end: '10:00', mode: 'online', slotMinutes: 30 }];
      expect(
        (await t.http.put(`/api/clinicians/${doc.id}/availability`, rules, { token: other.token })).status,
      ).toBe(403);
      expect(
        (await t.http.put(`/api/clinicians/${doc.id}/availability`, rules, { token: patient.token })).status,
      ).toBe(403);
      expect((await t.http.put(`/api/clinicians/${doc.id}/availability`, rules)).status).toBe(401);
      expect(
        (await t.http.get(`/api/clinicians/${doc.id}/availability`, { token: other.token })).status,
      ).toBe(403);
      const read = await t.http.get(`/api/clinicians/${doc.id}/availability`, { token: admin.token });
      expect(read.body.rules).toHaveLength(2);
    });

    test('parallel replacements never mix: the rules end up exactly one of the submitted sets', async () => {
      const sets = Array.from({ length: 8 }, (_, i) => [
        { weekday: 4, start: `0${i + 1}:00`, end: `0${i + 2}:00`, mode: 'online', slotMinutes: 30 },
        { weekday: 5, start: '10:00', end: '11:00', mode: 'online', slotMinutes: 5 + i },
      ]);
      const results = await Promise.allSettled(
        sets.map((body) => t.http.put(`/api/clinicians/${doc.id}/availability`, body, { token: doc.token })),
      );
      expect(results.every((r) => r.status === 'fulfilled' && r.value.status === 200)).toBe(true);
      const read = await t.http.get(`/api/clinicians/${doc.id}/availability`, { token: doc.token });
      const final = read.body.rules.map((r: { start: string; slotMinutes: number }) => [
        r.start,
        r.slotMinutes,
      ]);
      const candidates = sets.map((set) => set.map((r) => [r.start, r.slotMinutes]));
      expect(candidates).toContainEqual(final);
      // Put the two rules the other tests expect back.
      await setAvailability(t, doc, doc.id, [
        { weekday: 1, start: '09:00', end: '13:00', mode: 'online', slotMinutes: 30 },
        { weekday: 1, start: '14:00', end: '17:00', mode: 'in_person', centreId: centre.id, slotMinutes: 20 },
      ]);
    });

    test('on-call shifts are replaced as a whole', async () => {
      const res = await t.http.put(
        `/api/clinicians/${doc.id}/shifts`,
        [{ weekday: 1, start: '20:00', end: '23:00' }],
        { token: doc.token },
      );
      expect(res.status).toBe(200);
      expect(res.body.shifts).toEqual([{ weekday: 1, start: '20:00', end: '23:00' }]);
      const clash = await t.http.put(
        `/api/clinicians/${doc.id}/shifts`,
        [
          { weekday: 1, start: '20:00', end: '23:00' },
          { weekday: 1, start: '22:00', end: '23:30' },
        ],
        { token: doc.token },
      );
      expect(clash.status).toBe(400);
    });
  });

  describe('slots', () => {
    test('past slots are not listed: a running or started slot is gone', async () => {
      // Now is 11:30 in Kolkata.
      const today = t.clock.day(0, IST);
      const { clinician } = await createBookableClinician(t, admin, {
        rules: [{ weekday: t.clock.weekday(0, IST), start: '10:00', end: '13:00', slotMinutes: 60 }],
      });
      const res = await t.http.get(`/api/clinicians/${clinician.id}/slots?from=${today}&to=${today}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ timeZone: 'Asia/Kolkata', from: today, to: today });
      expect(res.body.slots).toEqual([
        {
          startAt: t.clock.local(0, '12:00', IST),
          endAt: t.clock.local(0, '13:00', IST),
          mode: 'online',
          centreId: null,
          status: 'available',
        },
      ]);
    });

    test('the default range is a week from today in the clinician zone', async () => {
      const { clinician } = await createBookableClinician(t, admin, {
        rules: [{ weekday: t.clock.weekday(2, IST), start: '09:00', end: '10:00', slotMinutes: 60 }],
      });
      const res = await t.http.get(`/api/clinicians/${clinician.id}/slots`);
      expect(res.body).toMatchObject({ from: t.clock.day(0, IST), to: t.clock.day(6, IST) });
      expect(starts(res.body.slots)).toEqual([t.clock.local(2, '09:00', IST)]);
    });

    test('mode filter and in-person centre', async () => {
      const c = await createBookableClinician(t, admin, { inPerson: true, rules: [] });
      const tomorrow = t.clock.day(1, IST);
      await setAvailability(t, admin, c.clinician.id, [
        { weekday: t.clock.weekday(1, IST), start: '09:00', end: '10:00', slotMinutes: 60 },
        {
          weekday: t.clock.weekday(1, IST),
          start: '14:00',
          end: '15:00',
          slotMinutes: 60,
          mode: 'in_person',
          centreId: c.centre!.id,
        },
      ]);
      const all = await t.http.get(`/api/clinicians/${c.clinician.id}/slots?from=${tomorrow}&to=${tomorrow}`);
      expect(all.body.slots.map((s: SlotReply) => [s.mode, s.centreId])).toEqual([
        ['online', null],
        ['in_person', c.centre!.id],
      ]);
      const inPerson = await t.http.get(
        `/api/clinicians/${c.clinician.id}/slots?from=${tomorrow}&to=${tomorrow}&mode=in_person`,
      );
      expect(starts(inPerson.body.slots)).toEqual([t.clock.local(1, '14:00', IST)]);
    });

    test.each<[string, () => string, string]>([
      ['to before from', () => `from=${t.clock.day(3)}&to=${t.clock.day(2)}`, 'querystring.to'],
      ['a range over two months', () => `from=${t.clock.day(-6)}&to=${t.clock.day(67)}`, 'querystring.to'],
      ['from=2030-02-30', () => 'from=2030-02-30', 'querystring.from'],
      ['from=tomorrow', () => 'from=tomorrow', 'querystring.from'],
      ['mode=carrier-pigeon', () => 'mode=carrier-pigeon', 'querystring.mode'],
    ])('%s is a 400', async (_name, query, path) => {
      const { clinician } = await createBookableClinician(t, admin, { rules: [] });
      const res = await t.http.get(`/api/clinicians/${clinician.id}/slots?${query()}`);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });

    test('an unknown or unlisted clinician is a 404', async () => {
      expect((await t.http.get('/api/clinicians/00000000-0000-4000-8000-000000000000/slots')).status).toBe(
        404,
      );
      const { clinician } = await createBookableClinician(t, admin, { rules: [] });
      await setListing(t, admin, clinician.id, { isListed: false });
      expect((await t.http.get(`/api/clinicians/${clinician.id}/slots`)).status).toBe(404);
    });

    test('time off removes overlapping slots until it is deleted', async () => {
      const { clinician } = await createBookableClinician(t, admin, {
        rules: [{ weekday: t.clock.weekday(1, IST), start: '09:00', end: '12:00', slotMinutes: 60 }],
      });
      const tomorrow = t.clock.day(1, IST);
      const url = `/api/clinicians/${clinician.id}/slots?from=${tomorrow}&to=${tomorrow}`;
      expect((await t.http.get(url)).body.slots).toHaveLength(3);
      const off = await t.http.post(
        `/api/clinicians/${clinician.id}/time-off`,
        {
          startAt: t.clock.local(1, '09:30', IST),
          endAt: t.clock.local(1, '10:30', IST),
          reason: 'School run',
        },
        { token: clinician.token },
      );
      expect(off.status).toBe(201);
      expect(off.body).toMatchObject({
        startAt: t.clock.at(1, '09:30', IST).toISOString(),
        endAt: t.clock.at(1, '10:30', IST).toISOString(),
      });
      expect(starts((await t.http.get(url)).body.slots)).toEqual([t.clock.local(1, '11:00', IST)]);
      const listed = await t.http.get(`/api/clinicians/${clinician.id}/availability`, {
        token: clinician.token,
      });
      expect(listed.body.timeOff.map((x: { id: string }) => x.id)).toEqual([off.body.id]);
      const del = await t.http.delete(`/api/clinicians/${clinician.id}/time-off/${off.body.id}`, {
        token: clinician.token,
      });
      expect(del.status).toBe(204);
      expect((await t.http.get(url)).body.slots).toHaveLength(3);
      const again = await t.http.delete(`/api/clinicians/${clinician.id}/time-off/${off.body.id}`, {
        token: clinician.token,
      });
      expect(again.status).toBe(404);
    });

    const utc = (days: number, time: string) => t.clock.at(days, time).toISOString();
    test.each<[string, () => object]>([
      ['ends before it starts', () => ({ startAt: utc(1, '10:00'), endAt: utc(1, '09:00') })],
      ['ends in the past', () => ({ startAt: utc(-6, '10:00'), endAt: utc(-5, '09:00') })],
      ['lasts more than a year', () => ({ startAt: utc(1, '10:00'), endAt: utc(517, '09:00') })],
      ['no offset', () => ({ startAt: `${t.clock.day(1)}T10:00:00`, endAt: `${t.clock.day(1)}T11:00:00` })],
    ])('time off that %s is a 400 and nothing is stored', async (_name, body) => {
      const { clinician } = await createBookableClinician(t, admin, { rules: [] });
      const res = await t.http.post(`/api/clinicians/${clinician.id}/time-off`, body(), {
        token: clinician.token,
      });
      expect(res.status).toBe(400);
      const { rows } = await t.platform.pool.query(
        'select count(*)::int as n from time_off where clinician_id = $1',
        [clinician.id],
      );
      expect(rows[0].n).toBe(0);
    });
  });

  describe('Europe/London across daylight saving', () => {
    let doc: { id: string };
    beforeAll(async () => {
      ({ clinician: doc } = await createBookableClinician(t, admin, {
        timeZone: 'Europe/London',
        rules: [6, 7, 1].flatMap((weekday) => [
          { weekday, start: '00:00', end: '03:00', slotMinutes: 60 },
          { weekday, start: '09:00', end: '10:00', slotMinutes: 60 },
        ]),
      }));
    });

    test('March: GMT before, the missing hour skipped, BST after', async () => {
      t.clock.set('2030-03-25T06:00:00Z');
      const res = await t.http.get(`/api/clinicians/${doc.id}/slots?from=2030-03-30&to=2030-04-01`);
      expect(res.body.timeZone).toBe('Europe/London');
      expect(starts(res.body.slots)).toEqual([
        '2030-03-30T00:00:00+00:00',
        '2030-03-30T01:00:00+00:00',
        '2030-03-30T02:00:00+00:00',
        '2030-03-30T09:00:00+00:00',
        '2030-03-31T00:00:00+00:00',
        '2030-03-31T02:00:00+01:00',
        '2030-03-31T09:00:00+01:00',
        '2030-04-01T00:00:00+01:00',
        '2030-04-01T01:00:00+01:00',
        '2030-04-01T02:00:00+01:00',
        '2030-04-01T09:00:00+01:00',
      ]);
      // The 00:00 slot on the change night ends at 02:00 BST: one real hour.
      expect(res.body.slots[4].endAt).toBe('2030-03-31T02:00:00+01:00');
    });

    test('October: BST before, the repeated hour offered twice, GMT after', async () => {
      t.clock.set('2030-10-21T06:00:00Z');
      const res = await t.http.get(`/api/clinicians/${doc.id}/slots?from=2030-10-26&to=2030-10-28`);
      const sunday = res.body.slots.filter((s: SlotReply) => s.startAt.startsWith('2030-10-27'));
      expect(starts(sunday)).toEqual([
        '2030-10-27T00:00:00+01:00',
        '2030-10-27T01:00:00+01:00',
        '2030-10-27T01:00:00+00:00',
        '2030-10-27T02:00:00+00:00',
        '2030-10-27T09:00:00+00:00',
      ]);
      expect(starts(res.body.slots).filter((s: string) => s.endsWith('T09:00:00+01:00'))).toEqual([
        '2030-10-26T09:00:00+01:00',
      ]);
      expect(starts(res.body.slots)).toContain('2030-10-28T09:00:00+00:00');
    });

    afterAll(() => t.clock.reset());
  });

  test('GET /api/slots searches one date across clinicians, each in their own zone', async () => {
    // Three days ahead: the same date in Kolkata and London at the test clock's hour.
    const [date, weekday] = [t.clock.day(3, IST), t.clock.weekday(3, IST)];
    const kol = await createBookableClinician(t, admin, {
      specialization: 'Dermatologist',
      rules: [{ weekday, start: '09:00', end: '10:00', slotMinutes: 30 }],
    });
    const ldn = await createBookableClinician(t, admin, {
      specialization: 'Dermatologist',
      timeZone: 'Europe/London',
      rules: [{ weekday, start: '09:00', end: '10:00', slotMinutes: 60 }],
    });
    await createBookableClinician(t, admin, {
      specialization: 'Cardiologist',
      rules: [{ weekday, start: '09:00', end: '10:00', slotMinutes: 30 }],
    });
    const res = await t.http.get(`/api/slots?date=${date}&specialization=Dermatologist`);
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.map((r: { clinician: { id: string } }) => [r.clinician.id, r]));
    expect(Object.keys(byId).sort()).toEqual([kol.clinician.id, ldn.clinician.id].sort());
    expect(starts(byId[kol.clinician.id].slots)).toEqual([
      t.clock.local(3, '09:00', IST),
      t.clock.local(3, '09:30', IST),
    ]);
    expect(byId[ldn.clinician.id]).toMatchObject({
      timeZone: 'Europe/London',
      clinician: { specialization: 'Dermatologist', fee: { amount: 50_000, currency: 'INR' } },
      slots: [{ startAt: t.clock.local(3, '09:00', 'Europe/London'), status: 'available' }],
    });
    expect(
      (await t.http.get(`/api/slots?date=${date}&specialization=Dermatologist&mode=in_person`)).body,
    ).toEqual([]);
    expect((await t.http.get('/api/slots')).status).toBe(400);
  });
});
