import { DEMO_PHONES } from '../identity/index.js';
import { clinicianProfiles } from './catalog.ports.js';
import type { CatalogDeps, CatalogService } from './catalog.service.js';

export const DEMO_CENTRES = [
  {
    name: 'Carebook Indiranagar',
    city: 'Bengaluru',
    address: '100 Feet Road, HAL 2nd Stage, Indiranagar, Bengaluru 560038',
    timeZone: 'Asia/Kolkata',
  },
  {
    name: 'Carebook Marylebone',
    city: 'London',
    address: '21 Harley Street, Marylebone, London W1G 9PL',
    timeZone: 'Europe/London',
  },
] as const;

const FEES: Record<string, number> = {
  'General Physician': 50_000,
  Psychiatrist: 150_000,
  Dermatologist: 80_000,
  'Clinical Psychologist': 120_000,
  Cardiologist: 200_000,
  Paediatrician: 90_000,
};
const ONLINE_ONLY = new Set(['Clinical Psychologist']);

/**
 * Two centres (Bengaluru, London), every demo clinician listed at the centre of their zone, and
 * plans for the demo patients: the first is on `vise` with a relationship to the first clinician,
 * the second on `standard`.
 */
export async function seedCatalogDemo(deps: CatalogDeps & { service: CatalogService }): Promise<void> {
  const { service, identity, config } = deps;
  const [bengaluru, london] = [
    await service.createCentre(DEMO_CENTRES[0]),
    await service.createCentre(DEMO_CENTRES[1]),
  ];
  const clinicians = await clinicianProfiles(identity);
  for (const c of clinicians) {
    const centre = c.timeZone === 'Europe/London' ? london! : bengaluru!;
    await service.setListing(c.id, {
      modes: ONLINE_ONLY.has(c.specialization) ? ['online'] : ['online', 'in_person'],
      fee: { amount: FEES[c.specialization] ?? 60_000, currency: config.currency },
      centreIds: [centre.id],
      isListed: true,
    });
  }
  const [vise, standard] = await Promise.all(DEMO_PHONES.patients.map((p) => identity.findUserByPhone(p)));
  const first = clinicians.find((c) => c.timeZone === 'Asia/Kolkata') ?? clinicians[0];
  if (vise) {
    await service.setPatientPlan(vise.id, { planCode: 'vise' });
    if (first) await service.createRelationship({ clinicianId: first.id, patientId: vise.id });
  }
  if (standard) await service.setPatientPlan(standard.id, { planCode: 'standard' });
}
