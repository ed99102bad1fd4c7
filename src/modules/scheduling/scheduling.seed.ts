import type { Actor } from '../../platform/auth.js';
import type { SchedulingDeps, SchedulingService } from './scheduling.service.js';

/** The seed acts as an admin; no session is behind it. */
const SEED_ACTOR: Actor = {
  userId: '00000000-0000-0000-0000-000000000000',
  role: 'admin',
  sessionId: 'seed',
};

/**
 * Weekly availability for every listed demo clinician, so the coming weeks have slots: weekday
 * mornings online, weekday afternoons at their centre (when they see patients in person), Saturday
 * mornings online, and weekday evening on-call shifts.
 */
export async function seedSchedulingDemo(
  deps: SchedulingDeps & { service: SchedulingService },
): Promise<void> {
  const clinicians = await deps.catalog.listClinicians({});
  for (const c of clinicians) {
    const centreId = c.centres[0]?.id ?? null;
    const inPerson = c.modes.includes('in_person') && centreId;
    const rules = [1, 2, 3, 4, 5].flatMap((weekday) => [
      {
        weekday,
        startTime: '09:00',
        endTime: '13:00',
        mode: 'online' as const,
        centreId: null,
        slotMinutes: 30,
      },
      ...(inPerson
        ? [
            {
              weekday,
              startTime: '14:00',
              endTime: '17:00',
              mode: 'in_person' as const,
              centreId,
              slotMinutes: 20,
            },
          ]
        : []),
    ]);
    rules.push({
      weekday: 6,
      startTime: '10:00',
      endTime: '13:00',
      mode: 'online',
      centreId: null,
      slotMinutes: 30,
    });
    await deps.service.replaceRules(SEED_ACTOR, c.id, rules);
    await deps.service.replaceShifts(
      SEED_ACTOR,
      c.id,
      [1, 2, 3, 4, 5].map((weekday) => ({ weekday, startTime: '18:00', endTime: '21:00' })),
    );
  }
}
