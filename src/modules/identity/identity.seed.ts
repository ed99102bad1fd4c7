import type { Platform } from '../../platform/module.js';
import { identityRepository as repo } from './identity.repository.js';
import type { IdentityService, NewStaffUser } from './identity.service.js';

/**
 * Demo accounts: clearly fake numbers in one block (+91 90000 000xx). Every one signs in with a
 * code read from the console channel at /dev/inbox. The London clinicians keep Indian demo numbers
 * because libphonenumber rejects the UK's drama range (+44 7700 900xxx) as not a real mobile.
 */
export const DEMO_PHONES = {
  admin: '+919000000001',
  staff: '+919000000002',
  clinicians: [
    '+919000000011',
    '+919000000012',
    '+919000000013',
    '+919000000014',
    '+919000000015',
    '+919000000016',
  ],
  patients: ['+919000000021', '+919000000022'],
} as const;

type DemoClinician = Required<
  Pick<NewStaffUser, 'fullName' | 'specialization' | 'timeZone' | 'registrationNumber' | 'languages' | 'bio'>
>;

const CLINICIANS: DemoClinician[] = [
  {
    fullName: 'Dr. Ananya Rao',
    specialization: 'General Physician',
    timeZone: 'Asia/Kolkata',
    registrationNumber: 'KMC-DEMO-104521',
    languages: ['English', 'Hindi', 'Kannada'],
    bio: 'Family medicine, fevers, diabetes and blood-pressure follow-ups. (Demo profile.)',
  },
  {
    fullName: 'Dr. Vikram Menon',
    specialization: 'Psychiatrist',
    timeZone: 'Asia/Kolkata',
    registrationNumber: 'TCMC-DEMO-58213',
    languages: ['English', 'Malayalam', 'Hindi'],
    bio: 'Adult psychiatry: anxiety, depression and sleep. (Demo profile.)',
  },
  {
    fullName: 'Dr. Priya Iyer',
    specialization: 'Dermatologist',
    timeZone: 'Asia/Kolkata',
    registrationNumber: 'TNMC-DEMO-77340',
    languages: ['English', 'Tamil'],
    bio: 'Skin, hair and nail conditions; acne and eczema clinics. (Demo profile.)',
  },
  {
    fullName: 'Dr. Sarah Whitfield',
    specialization: 'Clinical Psychologist',
    timeZone: 'Europe/London',
    registrationNumber: 'HCPC-DEMO-PYL0421',
    languages: ['English'],
    bio: 'Cognitive behavioural therapy, online sessions from London. (Demo profile.)',
  },
  {
    fullName: 'Dr. James Okafor',
    specialization: 'Cardiologist',
    timeZone: 'Europe/London',
    registrationNumber: 'GMC-DEMO-7012345',
    languages: ['English', 'Yoruba'],
    bio: 'Heart rhythm and blood-pressure reviews, second opinions. (Demo profile.)',
  },
  {
    fullName: 'Dr. Emily Clarke',
    specialization: 'Paediatrician',
    timeZone: 'Europe/London',
    registrationNumber: 'GMC-DEMO-7098765',
    languages: ['English', 'French'],
    bio: "Children's health from newborns to teens; online advice for families abroad. (Demo profile.)",
  },
];

const PATIENTS = [
  {
    fullName: 'Rahul Sharma',
    email: 'rahul.demo@example.com',
    dateOfBirth: '1988-04-12',
    gender: 'male' as const,
  },
  {
    fullName: 'Meera Nair',
    email: 'meera.demo@example.com',
    dateOfBirth: '1995-11-03',
    gender: 'female' as const,
  },
];

export async function seedIdentityDemo(
  deps: Pick<Platform, 'uow' | 'clock'>,
  service: IdentityService,
): Promise<void> {
  await service.createStaffUser(
    { role: 'admin', phone: DEMO_PHONES.admin, fullName: 'Asha Admin (demo)' },
    null,
  );
  await service.createStaffUser(
    { role: 'staff', phone: DEMO_PHONES.staff, fullName: 'Farhan Front Desk (demo)' },
    null,
  );
  for (const [i, c] of CLINICIANS.entries())
    await service.createStaffUser({ role: 'clinician', phone: DEMO_PHONES.clinicians[i]!, ...c }, null);
  const now = deps.clock.now();
  await deps.uow(async (tx) => {
    for (const [i, p] of PATIENTS.entries()) {
      const user = await repo.insertUser(tx.db, {
        phone: DEMO_PHONES.patients[i]!,
        role: 'patient',
        fullName: p.fullName,
        email: p.email,
        now,
      });
      if (!user) continue;
      await repo.insertPatientProfile(tx.db, user.id, now);
      await repo.updatePatientProfile(tx.db, user.id, { dateOfBirth: p.dateOfBirth, gender: p.gender }, now);
    }
  });
}

export function describeIdentityDemo(): string[] {
  return [
    'Demo logins: sign in on the web at /login with the phone, then read the code at /dev/inbox?to=PHONE.',
    '  Clinicians, staff and admins choose "I am a clinician or staff member" there (API: POST /api/auth/send-otp);',
    '  patients sign in as they are (API: POST /api/patient-auth/send-otp).',
    `  admin      ${DEMO_PHONES.admin}`,
    `  staff      ${DEMO_PHONES.staff}   (front desk: /front-desk)`,
    ...CLINICIANS.map(
      (c, i) =>
        `  clinician  ${DEMO_PHONES.clinicians[i]}   ${c.fullName}, ${c.specialization}, ${c.timeZone}`,
    ),
    ...PATIENTS.map((p, i) => `  patient    ${DEMO_PHONES.patients[i]}   ${p.fullName}`),
  ];
}
