import { describe, expect, test } from 'vitest';
import { assessSymptoms, TRIAGE_DISCLAIMER } from './index.js';
import { loadCases, metrics, runCases } from './triage.eval.js';
import { extractContext } from './triage.extract.js';

const assess = (description: string, extra: { age?: number; gender?: 'female' | 'male' } = {}) =>
  assessSymptoms({ description, ...extra });

describe('red-flag suite', () => {
  const cases = loadCases('red-flags');

  test('has at least 60 patient-worded cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  test.each(cases.map((c) => [c.id, c.redFlag, c] as const))('%s (%s) is an emergency', (_id, _flag, c) => {
    const r = assessSymptoms({ description: c.text, age: c.age, gender: c.gender });
    expect(r.urgency).toBe('emergency');
    expect(r.recommendedConsultationTypes).toEqual(['emergency']);
    expect(r.redFlags.length).toBeGreaterThan(0);
    expect(r.advice).toContain('112');
  });
});

describe('negation', () => {
  test.each([
    ['no fever, just a runny nose', 'fever'],
    ['denies chest pain, has a cough', 'chest_pain'],
    ['tummy ache without vomiting', 'vomiting'],
    ["I don't have a temperature but my throat is sore", 'fever'],
    ['no fever, cough or vomiting', 'vomiting'],
    ['Apyrexial. Cough for 2 days.', 'fever'],
    ['non-bloody diarrhoea since yesterday', 'bloody_diarrhoea'],
    ['She is not breathless and has no wheeze', 'wheeze'],
  ])('"%s" reads %s as absent', (text, id) => {
    const r = assess(text);
    expect(r.findings.absent).toContain(id);
    expect(r.findings.present).not.toContain(id);
  });

  test('a negated red flag does not make an emergency', () => {
    const r = assess('mild cough and runny nose for 2 days, no chest pain, not short of breath, no fever', {
      age: 30,
    });
    expect(r.urgency).not.toBe('emergency');
    expect(r.redFlags).toEqual([]);
  });

  test('negation stops at "but"', () => {
    const r = assess('no fever but vomiting since this morning');
    expect(r.findings.absent).toContain('fever');
    expect(r.findings.present).toContain('vomiting');
  });

  test('plain chest pain is same-day unless a cardiac feature or risk makes it an emergency', () => {
    expect(assess('I have had chest pain since this morning', { age: 35 }).urgency).toBe('urgent');
    expect(assess('chest pain at rest for 20 minutes, I smoke', { age: 55 }).urgency).toBe('emergency');
    expect(assess('chest pain when I eat spicy food, goes with an antacid', { age: 55 }).urgency).not.toBe(
      'emergency',
    );
  });

  test('family history is not the patient’s symptom', () => {
    const r = assess('family history of heart attack, I have heartburn after meals', { age: 40 });
    expect(r.findings.present).not.toContain('chest_pain');
    expect(r.urgency).not.toBe('emergency');
  });
});

describe('lay words, misspellings and Indian English', () => {
  test.each([
    ["I can't breathe", 'severe_breathlessness'],
    ['throwing up all night', 'vomiting'],
    ['pins and needles in my hands', 'numbness_tingling'],
    ['bad tummy ache', 'abdominal_pain'],
    ['loose motions since morning', 'diarrhoea'],
    ['feeling giddy', 'dizziness'],
    ['burning micturition', 'dysuria'],
    ['diarrea and vomitting', 'diarrhoea'],
    ['really bad hedache', 'headache'],
    ['my chest is hurting', 'chest_pain'],
    ['pain in my lower right tummy', 'rlq_pain'],
    ['my knee is swollen', 'joint_swelling'],
    ['having cold and cough', 'runny_nose'],
  ])('"%s" -> %s', (text, id) => {
    expect(assess(text).findings.present).toContain(id);
  });
});

describe('clinical wording and vital signs', () => {
  test('reads vital signs and clinical terms', () => {
    const { context } = extractContext(
      '72-year-old man. HR 128, BP 84/50, RR 30, SpO2 89% on room air, temp 39.4',
    );
    expect(context.age).toBe(72);
    expect(context.sex).toBe('male');
    expect(context.vitals).toMatchObject({ hr: 128, sbp: 84, dbp: 50, rr: 30, spo2: 89, temp: 39.4 });
  });

  test('converts Fahrenheit and reads ages in months and durations', () => {
    expect(extractContext('my 6 months old has fever of 102 F').context).toMatchObject({
      age: 0.5,
      vitals: { temp: 38.9 },
    });
    expect(extractContext('cough for 3 weeks').context.durationDays).toBe(21);
    expect(extractContext('since yesterday').context.durationDays).toBe(1);
    expect(extractContext('a 3/7 history of vomiting').context.durationDays).toBe(3);
  });

  test('abnormal vital signs alone make an emergency (NEWS2 3-point parameter)', () => {
    const r = assess('A 50-year-old with a cough. SpO2 88%, RR 28.');
    expect(r.urgency).toBe('emergency');
    expect(r.redFlags).toContain('Low oxygen level');
  });

  test('child thresholds follow the age band (NICE NG51)', () => {
    expect(assess('A 9-month-old with coryza. HR 150, RR 45, temp 38.1').urgency).not.toBe('emergency');
    expect(assess('A 9-year-old with coryza. HR 150, RR 45, temp 38.1').urgency).toBe('emergency');
  });

  test('fever in a baby under 3 months is an emergency', () => {
    expect(assess('6 week old baby, temperature 38.3, feeding ok').urgency).toBe('emergency');
  });

  test.each([
    ['non-blanching rash', 'non_blanching_rash'],
    ['neck stiffness and photophobia', 'photophobia'],
    ['haematemesis', 'haematemesis'],
    ['dyspnoea on exertion', 'breathlessness'],
    ['guarding and rebound tenderness in the RIF', 'peritonism'],
  ])('"%s" -> %s', (text, id) => {
    expect(assess(text).findings.present).toContain(id);
  });
});

describe('assessment shape', () => {
  test('is deterministic and within bounds', () => {
    const text = 'sore throat and runny nose for 3 days';
    const a = assess(text);
    expect(assess(text)).toEqual(a);
    expect(a.possibleDiagnoses.length).toBeLessThanOrEqual(5);
    expect(a.confidenceScore).toBeGreaterThanOrEqual(0);
    expect(a.confidenceScore).toBeLessThanOrEqual(1);
    const scores = a.possibleDiagnoses.map((d) => d.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
  });

  test('self-limiting complaints get self-care and no emergency type', () => {
    const r = assess('blocked nose, sneezing and a mild sore throat since yesterday, no fever', { age: 25 });
    expect(r.urgency).toBe('self_care');
    expect(r.possibleDiagnoses[0]?.code).toBe('J00');
    expect(r.recommendedConsultationTypes).not.toContain('emergency');
  });

  test('text it cannot read gives a routine answer with no diagnoses', () => {
    const r = assess('hello');
    expect(r.urgency).toBe('routine');
    expect(r.possibleDiagnoses).toEqual([]);
    expect(r.findings.present).toEqual([]);
  });

  test('the disclaimer says it is not a diagnosis and names 112', () => {
    expect(TRIAGE_DISCLAIMER).toMatch(/not a diagnosis/i);
    expect(TRIAGE_DISCLAIMER).toContain('112');
  });
});

// Floors a few points under what the engine achieves today (see docs/notes/consultations-triage.md),
// so a change that makes triage worse fails here.
describe('findings tied to their body site', () => {
  test.each([
    ['Itchy, red eyes with a watery discharge and sneezing', 'female', 'eye_discharge', 'vaginal_discharge'],
    [
      'Left ear is discharging and itchy, pain when the tragus is pulled',
      'female',
      'ear_discharge',
      'vaginal_discharge',
    ],
    ['Dysuria with a green discharge after unprotected sex', 'male', 'penile_discharge', 'vaginal_discharge'],
    ['Vulval itch and a thick white discharge', 'female', 'vaginal_discharge', 'eye_discharge'],
    ['Sticky eyelids with purulent discharge on waking', undefined, 'eye_discharge', 'vaginal_discharge'],
  ] as const)('"%s" (%s) reads %s, not %s', (text, gender, id, not) => {
    const r = assess(text, { gender });
    expect(r.findings.present).toContain(id);
    expect(r.findings.present).not.toContain(not);
  });

  test.each([
    ['Non-healing ulcer on the heel of a diabetic foot with redness around it', 'L97'],
    ['Burning upper abdominal pain at night, had a duodenal ulcer before', 'K25'],
    ['Two painful ulcers inside the cheek for 4 days', 'K12'],
  ])('"%s" ranks %s first', (text, code) => {
    expect(assess(text, { age: 58 }).possibleDiagnoses[0]?.code).toBe(code);
  });

  test('an allergic eye picture is not ranked as a vaginal infection', () => {
    const r = assess('A woman with itchy watering eyes, discharge and sneezing each pollen season', {
      age: 41,
      gender: 'female',
    });
    const codes = r.possibleDiagnoses.slice(0, 3).map((d) => d.code);
    expect(codes.some((c) => c === 'H10.1' || c === 'J30' || c === 'H10')).toBe(true);
    expect(codes).not.toContain('N76.0');
    expect(r.urgency).toBe('self_care');
  });

  test.each([
    'Painful vesicles in a strip on the right side of the back',
    'Unilateral blistering rash around the left side of the chest that does not cross the midline',
  ])('"%s" is shingles', (text) => {
    expect(assess(text, { age: 66 }).possibleDiagnoses[0]?.code).toBe('B02');
  });

  test('a hot red swollen joint is an inflamed joint needing same-day care, not cellulitis', () => {
    const r = assess('Woke with a hot, red and swollen right knee; temp 37.7', { age: 50, gender: 'male' });
    const codes = r.possibleDiagnoses.slice(0, 3).map((d) => d.code);
    expect(codes).toContain('M00');
    expect(codes[0]).not.toBe('L03');
    expect(r.urgency).toBe('urgent');
  });

  test('bruising after a twisted ankle is not bony tenderness', () => {
    const r = assess(
      'Twisted ankle playing tennis, swollen and bruised, can walk on it, no bony tenderness',
      { age: 30 },
    );
    expect(r.findings.present).not.toContain('bone_tenderness');
    expect(r.possibleDiagnoses[0]?.code).toBe('S93.4');
    expect(r.urgency).toBe('self_care');
  });
});

describe('severity modifiers (mild forms of a condition)', () => {
  test.each([
    ['Barking cough since last night, no stridor at rest, eating and playing normally', 2, 'self_care'],
    ['Barking cough and a hoarse voice since last night', 2, 'routine'],
    [
      'Barking cough and noisy breathing in (stridor) even when resting, pulling in under the ribs',
      2,
      'emergency',
    ],
    [
      'Central tummy pain moving to the right lower abdomen since this morning, off food, temp 37.8',
      24,
      'urgent',
    ],
    ['Right lower abdominal pain with guarding and rebound tenderness, temp 38.4', 24, 'emergency'],
    [
      'Right upper quadrant pain after fatty meals that settles within an hour or two, no fever, not jaundiced',
      45,
      'routine',
    ],
    ['Right upper quadrant pain with a fever of 38.5 and rigors', 45, 'urgent'],
    ['Palpitations on and off for 5 weeks, no chest pain, no blackouts, no breathlessness', 40, 'routine'],
    ['Known gout, big toe red and sore again since yesterday, otherwise well, afebrile', 60, 'routine'],
  ] as const)('"%s" (age %s) -> %s', (text, age, level) => {
    expect(assess(text, { age }).urgency).toBe(level);
  });

  test('reassurance after a list of denials is not negated', () => {
    const r = assess('No fever, no rash, no vomiting, playing normally');
    expect(r.findings.present).toContain('well_appearing');
    expect(assess('not playing normally, very sleepy').findings.present).not.toContain('well_appearing');
  });
});

describe('accuracy floors', () => {
  test('ordinary patient-worded cases', () => {
    const cases = loadCases('ordinary');
    expect(cases.length).toBeGreaterThanOrEqual(120);
    const m = metrics(runCases(cases));
    expect(m.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(m.accuracyByLevel.self_care?.rate).toBeGreaterThanOrEqual(0.85);
    expect(m.accuracyByLevel.routine?.rate).toBeGreaterThanOrEqual(0.85);
    expect(m.accuracyByLevel.urgent?.rate).toBeGreaterThanOrEqual(0.85);
    expect(m.falseEmergencyRate).toBeLessThanOrEqual(0.03);
    expect(m.top1).toBeGreaterThanOrEqual(0.85);
    expect(m.top3).toBeGreaterThanOrEqual(0.92);
  });

  test('clinician vignettes', () => {
    const m = metrics(runCases(loadCases('vignettes')));
    expect(m.emergencyRecall).toBe(1);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(m.top3).toBeGreaterThanOrEqual(0.9);
  });

  test('clinician vignettes, set 3 (issue 14 targets)', () => {
    const cases = loadCases('vignettes-set3');
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const m = metrics(runCases(cases));
    expect(m.emergencyRecall).toBe(1);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(m.accuracyByLevel.self_care?.rate).toBeGreaterThanOrEqual(0.6);
    expect(m.top3).toBeGreaterThanOrEqual(0.75);
  });
});
