import type { Modifier } from './triage.text.js';
import type { Context } from './triage.types.js';

export type Evidence = {
  present: Set<string>;
  modifiers: Map<string, Set<Modifier>>;
  ctx: Context;
};

type Rule = { label: string; test: (e: Evidence, has: (id: string) => boolean) => boolean };

const anyOf = (has: (id: string) => boolean, ids: string[]) => ids.some(has);
const mod = (e: Evidence, id: string, m: Modifier) => e.modifiers.get(id)?.has(m) === true;
const isChild = (e: Evidence) => (e.ctx.age !== undefined ? e.ctx.age < 16 : e.ctx.childHint === true);

const INFECTION = [
  'fever',
  'rigors',
  'hypothermia',
  'spreading_redness',
  'cough',
  'productive_cough',
  'dysuria',
  'cloudy_urine',
  'diarrhoea',
  'vomiting',
  'sore_throat',
  'ear_pain',
  'wound',
  'flank_pain',
  'crackles',
];
const SEPSIS_SIGNS = [
  'confusion',
  'mottled_skin',
  'cyanosis',
  'no_urine',
  'non_blanching_rash',
  'unresponsive',
  'hypotension',
  'impending_doom',
  'weak_high_cry',
];

/**
 * Red flags from NHS "when to call 999", UK Sepsis Trust / NICE NG51 high-risk criteria, FAST, NICE CKS.
 * Any one of these makes the assessment an emergency.
 */
const RULES: Rule[] = [
  {
    label:
      'Chest pain with breathlessness, sweating, sickness, heaviness or pain spreading to the arm, jaw, neck or back',
    test: (e, has) =>
      (has('chest_tightness') &&
        anyOf(has, ['pain_radiating', 'arm_pain', 'jaw_pain', 'sweating', 'collapse'])) ||
      (has('chest_pain') &&
        (anyOf(has, [
          'sweating',
          'pain_radiating',
          'arm_pain',
          'jaw_pain',
          'chest_pressure',
          'nausea',
          'vomiting',
          'collapse',
          'presyncope',
        ]) ||
          (has('breathlessness') &&
            !has('on_coughing') &&
            !(has('pleuritic_pain') && anyOf(has, ['cough', 'fever']))) ||
          mod(e, 'chest_pain', 'sudden') ||
          mod(e, 'chest_pain', 'severe'))),
  },
  {
    label: 'Chest pain in someone at risk of heart disease',
    test: (e, has) =>
      has('chest_pain') &&
      (e.ctx.age ?? 0) >= 40 &&
      anyOf(has, ['smoker', 'diabetes_hx', 'hypertension_hx', 'heart_disease_hx', 'high_cholesterol']) &&
      !anyOf(has, ['heartburn', 'on_coughing', 'injury', 'pleuritic_pain', 'bone_tenderness']),
  },
  {
    label:
      'Possible stroke (face drooping, arm or leg weakness, speech problems, sudden loss of vision or balance)',
    test: (_e, has) =>
      anyOf(has, ['one_sided_weakness', 'speech_problem', 'sudden_vision_loss']) ||
      (has('facial_droop') && !has('facial_weakness_bell')) ||
      (has('ataxia') && anyOf(has, ['vertigo', 'nystagmus', 'double_vision', 'vomiting'])),
  },
  {
    label: 'Possible severe allergic reaction (anaphylaxis)',
    test: (e, has) =>
      anyOf(has, ['throat_swelling', 'anaphylaxis_named']) ||
      (has('lip_tongue_swelling') &&
        (anyOf(has, [
          'allergen_exposure',
          'hives',
          'breathlessness',
          'wheeze',
          'stridor',
          'collapse',
          'presyncope',
          'vomiting',
        ]) ||
          mod(e, 'lip_tongue_swelling', 'sudden'))) ||
      (anyOf(has, ['hives', 'allergen_exposure']) &&
        anyOf(has, ['severe_breathlessness', 'stridor', 'collapse', 'cyanosis', 'wheeze'])),
  },
  {
    label: 'Possible sepsis (infection with signs of serious illness)',
    test: (e, has) =>
      anyOf(has, ['mottled_skin', 'impending_doom']) && anyOf(has, INFECTION)
        ? true
        : anyOf(has, INFECTION) &&
          anyOf(
            has,
            SEPSIS_SIGNS.concat(isChild(e) ? ['lethargy', 'increased_work_of_breathing'] : ['lethargy']),
          ),
  },
  {
    label: 'Fever with a weakened immune system (possible neutropenic sepsis)',
    test: (_e, has) => has('immunosuppressed') && anyOf(has, ['fever', 'rigors', 'hypothermia']),
  },
  {
    label: 'Fever in a baby under 3 months',
    test: (e, has) => e.ctx.age !== undefined && e.ctx.age <= 0.25 && anyOf(has, ['fever', 'hypothermia']),
  },
  {
    label: 'Possible meningitis (stiff neck, dislike of light, or a rash that does not fade under a glass)',
    test: (_e, has) =>
      anyOf(has, ['non_blanching_rash', 'bulging_fontanelle']) ||
      (has('neck_stiffness') &&
        anyOf(has, ['fever', 'photophobia', 'vomiting', 'rash', 'confusion', 'lethargy'])) ||
      (has('fever') && has('headache') && has('photophobia')),
  },
  {
    label: 'Thoughts of suicide or self-harm, an overdose or poisoning',
    test: (_e, has) => anyOf(has, ['suicidal', 'self_harm', 'overdose']),
  },
  {
    label: 'Severe breathing difficulty or a severe asthma attack',
    test: (e, has) =>
      (has('severe_breathlessness') && !has('panic_attack')) ||
      anyOf(has, ['cyanosis', 'stridor', 'apnoea', 'inhaler_not_helping']) ||
      (isChild(e) && has('increased_work_of_breathing')) ||
      ((has('wheeze') || has('asthma_hx')) &&
        has('breathlessness') &&
        ((e.ctx.vitals.hr ?? 0) >= 110 ||
          (e.ctx.vitals.rr ?? 0) >= 25 ||
          (e.ctx.vitals.spo2 ?? 100) < 92 ||
          anyOf(has, ['lethargy', 'confusion']))),
  },
  {
    label: 'Sudden, severe headache',
    test: (e, has) =>
      has('thunderclap_headache') ||
      (has('headache') &&
        (mod(e, 'headache', 'sudden') ||
          (mod(e, 'headache', 'severe') && anyOf(has, ['vomiting', 'neck_stiffness', 'collapse'])))),
  },
  {
    label: 'Vomiting blood or black, tarry poo (possible bleeding in the gut)',
    test: (e, has) =>
      anyOf(has, ['haematemesis', 'melaena']) ||
      (has('rectal_bleeding') &&
        (has('severe_bleeding') ||
          anyOf(has, ['collapse', 'presyncope']) ||
          mod(e, 'rectal_bleeding', 'severe'))),
  },
  {
    label: 'Unconscious, unresponsive, a seizure, new confusion, or a drowsy or floppy child',
    test: (e, has) =>
      anyOf(has, ['unresponsive', 'seizure', 'confusion']) ||
      (isChild(e) && anyOf(has, ['lethargy', 'weak_high_cry'])),
  },
  {
    label: 'Severe bleeding, serious injury, severe burn, choking, drowning or poisoning',
    test: (_e, has) =>
      anyOf(has, ['severe_bleeding', 'major_trauma', 'severe_burn', 'choking', 'drowning', 'deformity']),
  },
  {
    label: 'Head injury with worrying signs',
    test: (_e, has) =>
      has('head_injury') &&
      anyOf(has, [
        'collapse',
        'vomiting',
        'lethargy',
        'anticoagulant',
        'blurred_vision',
        'double_vision',
        'ear_discharge',
        'nosebleed',
      ]),
  },
  {
    label: 'Signs of a blood clot in the lung',
    test: (e, has) =>
      (has('calf_swelling') &&
        anyOf(has, ['breathlessness', 'chest_pain', 'pleuritic_pain', 'haemoptysis'])) ||
      (has('pleuritic_pain') &&
        has('breathlessness') &&
        anyOf(has, [
          'recent_surgery',
          'long_travel',
          'postpartum',
          'dvt_hx',
          'cancer_hx',
          'haemoptysis',
          'hypoxia',
          'oestrogen',
          'pregnant',
        ])) ||
      (has('haemoptysis') && mod(e, 'haemoptysis', 'severe')),
  },
  {
    label: 'Sudden, severe tummy pain, a rigid tummy, green vomit or redcurrant-jelly poo',
    test: (e, has) =>
      anyOf(has, ['peritonism', 'redcurrant_stool']) ||
      (has('bilious_vomiting') && (isChild(e) || has('abdominal_distension'))) ||
      (has('abdominal_pain') && mod(e, 'abdominal_pain', 'sudden') && mod(e, 'abdominal_pain', 'severe')) ||
      (has('abdominal_pain') && anyOf(has, ['collapse', 'hypotension'])),
  },
  {
    label: 'Pregnancy with pain, heavy bleeding, fainting, or severe headache and vision changes',
    test: (_e, has) =>
      has('heavy_bleeding_pregnancy') ||
      ((has('pregnant') || has('missed_period')) &&
        ((anyOf(has, ['lower_abdominal_pain', 'abdominal_pain']) &&
          anyOf(has, ['vaginal_bleeding', 'presyncope', 'collapse', 'cervical_excitation'])) ||
          has('preeclampsia_signs') ||
          (has('vaginal_bleeding') && anyOf(has, ['presyncope', 'collapse'])) ||
          (has('headache') && anyOf(has, ['blurred_vision', 'sudden_vision_loss'])))),
  },
  {
    label: 'Sudden or severe testicle pain (possible torsion)',
    test: (e, has) =>
      has('testicular_pain') &&
      (mod(e, 'testicular_pain', 'sudden') ||
        mod(e, 'testicular_pain', 'severe') ||
        (e.ctx.age !== undefined && e.ctx.age < 25 && !has('penile_discharge'))),
  },
  {
    label: 'Back pain with numbness around the bottom, loss of bladder or bowel control, or weak legs',
    test: (_e, has) =>
      has('saddle_numbness') ||
      (anyOf(has, ['back_pain', 'sciatica_pain']) &&
        anyOf(has, ['incontinence', 'urinary_retention', 'bilateral_leg_weakness'])),
  },
  {
    label: 'A limb that is suddenly cold, pale or numb',
    test: (_e, has) => has('cold_pale_limb'),
  },
  {
    label: 'Unable to pass urine',
    test: (_e, has) => has('urinary_retention'),
  },
  {
    label: 'Diabetes with vomiting, ketones, fast breathing or drowsiness (possible DKA)',
    test: (_e, has) =>
      (has('ketones') && anyOf(has, ['vomiting', 'diabetes_hx', 'thirst', 'polyuria', 'abdominal_pain'])) ||
      (has('diabetes_hx') && has('vomiting') && anyOf(has, ['abdominal_pain', 'breathlessness', 'lethargy'])),
  },
  {
    label: 'Painful red eye with a fixed pupil or cloudy cornea (possible acute glaucoma)',
    test: (_e, has) => has('eye_pupil_fixed'),
  },
  {
    label: 'Heatstroke',
    test: (e, has) =>
      has('heat_exposure') &&
      (anyOf(has, ['confusion', 'seizure', 'unresponsive']) || (e.ctx.vitals.temp ?? 0) >= 40),
  },
  {
    label: 'Fainting with chest pain, palpitations or breathlessness',
    test: (_e, has) => has('collapse') && anyOf(has, ['palpitations', 'breathlessness', 'tachycardia']),
  },
];

export function findRedFlags(e: Evidence): string[] {
  const has = (id: string) => e.present.has(id);
  return RULES.filter((r) => r.test(e, has)).map((r) => r.label);
}

/** Signs that do not need 999 but should be seen the same day. */
export function findUrgentSigns(e: Evidence): string[] {
  const has = (id: string) => e.present.has(id);
  const out: string[] = [];
  const { age } = e.ctx;
  if (has('lethargy')) out.push('Unusually drowsy');
  if (has('neck_stiffness') && has('headache')) out.push('Headache with a stiff neck');
  if (has('haemoptysis')) out.push('Coughing up blood');
  if ((has('collapse') && (age ?? 50) >= 40) || has('facial_weakness_bell'))
    out.push('Fainting or facial weakness');
  if (has('testicular_pain')) out.push('Testicle pain');
  if (has('reduced_urine') || has('sunken_fontanelle')) out.push('Passing little urine');
  if (has('increased_work_of_breathing') || (has('breathlessness') && isChild(e)))
    out.push('Working hard to breathe');
  if (
    has('pregnant') &&
    anyOf(has, [
      'abdominal_pain',
      'vaginal_bleeding',
      'fever',
      'headache',
      'reduced_fetal_movement',
      'waters_broken',
      'persistent_vomiting',
      // NICE NG109: a urine infection in pregnancy is treated with antibiotics the same day.
      'dysuria',
      'flank_pain',
    ])
  )
    out.push('Symptoms in pregnancy');
  if (has('reduced_fetal_movement') || has('waters_broken')) out.push('Change in pregnancy');
  if (age !== undefined && age < 0.5 && (e.ctx.vitals.temp ?? 0) >= 39)
    out.push('High fever in a young baby');
  if (age !== undefined && age < 1 && has('fever') && !has('post_vaccination'))
    out.push('Fever in a baby under 1');
  if (age !== undefined && age < 1 && has('poor_feeding')) out.push('A baby feeding poorly');
  if (age !== undefined && age < 16 && has('fever') && (e.ctx.durationDays ?? 0) >= 5)
    out.push('Fever for 5 days or more in a child');
  if (age !== undefined && age >= 75 && has('fever')) out.push('Fever in an older person');
  if (has('diabetes_hx') && (has('vomiting') || has('fever'))) out.push('Diabetes with vomiting or fever');
  if (has('persistent_vomiting')) out.push('Unable to keep fluids down');
  if (has('abdominal_pain') && mod(e, 'abdominal_pain', 'severe')) out.push('Severe tummy pain');
  if (has('hypoxia') || has('hypotension')) out.push('Abnormal vital signs');
  if ((e.ctx.vitals.sbp ?? 0) >= 180 || (e.ctx.vitals.dbp ?? 0) >= 120) out.push('Very high blood pressure');
  if (has('bloody_diarrhoea')) out.push('Bloody diarrhoea');
  if (has('dermatomal_rash') && anyOf(has, ['red_eye', 'eye_pain', 'blurred_vision']))
    out.push('Shingles near the eye');
  if (has('jaundice')) out.push('Yellow skin or eyes');
  if (has('chest_pain') && (age ?? 40) >= 30) out.push('Chest pain');
  if (has('psychosis') || has('mania')) out.push('Hearing voices, seeing things or feeling very high');
  return out;
}
