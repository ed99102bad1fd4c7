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
});
