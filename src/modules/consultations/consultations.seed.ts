import type { ConsultationsDeps } from './consultations.ports.js';

const SEED_ACTOR = {
  userId: '00000000-0000-0000-0000-000000000000',
  role: 'admin' as const,
  sessionId: 'seed',
};
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];

/**
 * Demo: the services that price chat, video and emergency consultations, two GOPD services (BEFORE
 * and AFTER, the latter auto-assigned), and two listed doctors of one zone on call around the clock
 * (00:00-12:00 and 12:00-23:59 every day; shifts end at 23:59 at the latest).
 */
export async function seedConsultationsDemo(
  deps: Pick<ConsultationsDeps, 'config' | 'services' | 'scheduling' | 'pool'>,
) {
  const currency = deps.config.currency;
  const { rows } = await deps.pool.query<{ id: string; time_zone: string }>(
    `select l.clinician_id as id, p.time_zone from clinician_listings l
       join clinician_profiles p on p.user_id = l.clinician_id
      where l.is_listed order by p.time_zone, l.clinician_id`,
  );
  const zone = rows[0]?.time_zone;
  const sameZone = rows.filter((r) => r.time_zone === zone).slice(0, 2);
  const gp = sameZone[0]?.id ?? null;
  const entries = [
    { code: 'ONLINE_CHAT', name: 'Chat consultation', workflowType: 'ONLINE_CHAT', amount: 19_900 },
    { code: 'ONLINE_VIDEO', name: 'Video consultation', workflowType: 'ONLINE_VIDEO', amount: 29_900 },
    {
      code: 'ONLINE_EMERGENCY',
      name: 'Priority consultation',
      workflowType: 'ONLINE_EMERGENCY',
      amount: 49_900,
    },
    {
      code: 'GOPD_PREPAID',
      name: 'GOPD consultation (pay first)',
      workflowType: 'GOPD_CONSULT',
      amount: 30_000,
    },
    {
      code: 'GOPD_POSTPAID',
      name: 'GOPD consultation (pay after)',
      workflowType: 'GOPD_CONSULT',
      amount: 30_000,
      after: true,
    },
  ] as const;
  for (const e of entries)
    await deps.services.create({
      code: e.code,
      name: e.name,
      workflowType: e.workflowType,
      billTiming: 'after' in e ? 'AFTER' : 'BEFORE',
      autoAssignDoctorId: 'after' in e ? gp : null,
      isActive: true,
      price: { amount: e.amount, currency },
    });
  const [early, late] = sameZone;
  if (early)
    await deps.scheduling.replaceShifts(
      SEED_ACTOR,
      early.id,
      EVERY_DAY.map((weekday) => ({ weekday, startTime: '00:00', endTime: '12:00' })),
    );
  if (late ?? early)
    await deps.scheduling.replaceShifts(SEED_ACTOR, (late ?? early)!.id, [
      ...(late ? [] : EVERY_DAY.map((weekday) => ({ weekday, startTime: '00:00', endTime: '12:00' }))),
      ...EVERY_DAY.map((weekday) => ({ weekday, startTime: '12:00', endTime: '23:59' })),
    ]);
}
