import { afterAll, describe, expect, test } from 'vitest';
import { schedulingOf } from '../../../test/factories/booking.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

describe('consultations demo data', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  test('services for chat, video, emergency and GOPD (BEFORE and AFTER), and doctors on shift around the clock', async () => {
    t = await startTestApp({ env: { SEED_DEMO_DATA: 'true' } });
    const services = await t.http.get('/api/services');
    expect(services.status).toBe(200);
    const byWorkflow = (w: string) => services.body.filter((s: any) => s.workflowType === w);
    for (const w of ['ONLINE_CHAT', 'ONLINE_VIDEO', 'ONLINE_EMERGENCY'])
      expect(byWorkflow(w)).toHaveLength(1);
    const gopd = byWorkflow('GOPD_CONSULT');
    expect(gopd.map((s: any) => s.billTiming).sort()).toEqual(['AFTER', 'BEFORE']);
    expect(gopd.find((s: any) => s.billTiming === 'AFTER').autoAssignDoctorId).toBeTruthy();
    const scheduling = schedulingOf(t);
    const day = t.clock.now().getTime();
    for (let hour = 0; hour < 24 * 7; hour += 5) {
      const onCall = await scheduling.listOnCallClinicians(new Date(day + hour * 3_600_000 + 17 * 60_000));
      expect(onCall.length, `nobody on call ${hour} h after the start`).toBeGreaterThan(0);
    }
  });
});
