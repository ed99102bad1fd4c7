import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { assessSymptoms } from './triage.rules.js';
import { type TriageAssessment, URGENCY_RANK, type Urgency } from './triage.types.js';

const urgency = z.enum(['emergency', 'urgent', 'routine', 'self_care']);
const caseSchema = z.object({
  id: z.string(),
  text: z.string(),
  age: z.number().optional(),
  gender: z.enum(['female', 'male', 'other']).optional(),
  expected: urgency.default('emergency'),
  diagnoses: z.array(z.string()).default([]),
  redFlag: z.string().optional(),
});
export type TriageCase = z.infer<typeof caseSchema>;
export type CaseSet = 'red-flags' | 'ordinary' | 'vignettes' | 'vignettes-unseen' | 'vignettes-set3';

export function loadCases(set: CaseSet): TriageCase[] {
  const raw = JSON.parse(readFileSync(new URL(`./cases/${set}.json`, import.meta.url), 'utf8'));
  return z.object({ cases: z.array(caseSchema) }).parse(raw).cases;
}

export type CaseResult = { case: TriageCase; result: TriageAssessment };
export type Metrics = {
  cases: number;
  emergencyRecall: number | null;
  falseEmergencyRate: number | null;
  accuracy: number;
  accuracyByLevel: Partial<Record<Urgency, { correct: number; total: number; rate: number }>>;
  overTriage: number;
  underTriage: number;
  top1: number | null;
  top3: number | null;
  misses: Array<{ id: string; expected: Urgency; got: Urgency; diagnoses: string[]; got3: string[] }>;
};

const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);

export function runCases(cases: TriageCase[]): CaseResult[] {
  return cases.map((c) => ({
    case: c,
    result: assessSymptoms({ description: c.text, age: c.age, gender: c.gender }),
  }));
}

export function metrics(results: CaseResult[]): Metrics {
  const levels: Urgency[] = ['emergency', 'urgent', 'routine', 'self_care'];
  const byLevel: Metrics['accuracyByLevel'] = {};
  let correct = 0;
  let over = 0;
  let under = 0;
  let withDx = 0;
  let hit1 = 0;
  let hit3 = 0;
  let falseEmergency = 0;
  const misses: Metrics['misses'] = [];
  for (const { case: c, result } of results) {
    const diff = URGENCY_RANK[result.urgency] - URGENCY_RANK[c.expected];
    const entry = byLevel[c.expected] ?? { correct: 0, total: 0, rate: 0 };
    entry.total++;
    if (diff === 0) {
      correct++;
      entry.correct++;
    } else if (diff > 0) over++;
    else under++;
    byLevel[c.expected] = entry;
    if (c.expected !== 'emergency' && result.urgency === 'emergency') falseEmergency++;
    const codes = result.possibleDiagnoses.map((d) => d.code);
    if (c.diagnoses.length > 0) {
      withDx++;
      if (c.diagnoses.includes(codes[0] ?? '')) hit1++;
      if (codes.slice(0, 3).some((code) => c.diagnoses.includes(code))) hit3++;
    }
    const dxMiss = c.diagnoses.length > 0 && !codes.slice(0, 3).some((code) => c.diagnoses.includes(code));
    if (diff !== 0 || dxMiss)
      misses.push({
        id: c.id,
        expected: c.expected,
        got: result.urgency,
        diagnoses: c.diagnoses,
        got3: codes.slice(0, 3),
      });
  }
  for (const level of levels) {
    const e = byLevel[level];
    if (e) e.rate = ratio(e.correct, e.total) ?? 0;
  }
  const emergencies = byLevel.emergency;
  const nonEmergency = results.filter((r) => r.case.expected !== 'emergency').length;
  return {
    cases: results.length,
    emergencyRecall: emergencies ? ratio(emergencies.correct, emergencies.total) : null,
    falseEmergencyRate: ratio(falseEmergency, nonEmergency),
    accuracy: ratio(correct, results.length) ?? 0,
    accuracyByLevel: byLevel,
    overTriage: ratio(over, results.length) ?? 0,
    underTriage: ratio(under, results.length) ?? 0,
    top1: ratio(hit1, withDx),
    top3: ratio(hit3, withDx),
    misses,
  };
}

export function evaluate(set: CaseSet): Metrics {
  return metrics(runCases(loadCases(set)));
}
