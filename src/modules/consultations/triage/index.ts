/**
 * STAND-IN for the triage engine (docs contracts.md "Triage engine interface"): simple keyword rules
 * so the consultations flow runs end to end. The real engine replaces this whole folder at merge.
 */
import { z } from 'zod';

export type Urgency = 'emergency' | 'urgent' | 'routine' | 'self_care';
export type ConsultationType = 'chat' | 'video' | 'emergency';
export type TriageInput = {
  description: string;
  symptoms?: string[];
  age?: number;
  gender?: 'female' | 'male' | 'other';
  durationDays?: number;
};
export type TriageAssessment = {
  possibleDiagnoses: Array<{ code: string; name: string; score: number }>;
  confidenceScore: number;
  urgency: Urgency;
  redFlags: string[];
  advice: string;
  recommendedConsultationTypes: ConsultationType[];
  findings: { present: string[]; absent: string[] };
};

export const TRIAGE_DISCLAIMER =
  'This assessment is automated guidance, not a diagnosis. A clinician will review it. If you think it is an emergency, call 112 (or your local emergency number) now.';

const RANK: Record<Urgency, number> = { self_care: 0, routine: 1, urgent: 2, emergency: 3 };

const SYMPTOMS: Array<[id: string, pattern: RegExp]> = [
  ['chest_pain', /chest (pain|tightness|pressure)|crushing/],
  ['breathless', /breathless|short(ness)? of breath|can'?t breathe|difficulty breathing/],
  ['sweating', /sweat/],
  ['face_droop', /face (droop|drooping)|slurred speech|arm weakness/],
  ['fever', /fever|temperature|feverish/],
  ['sore_throat', /sore throat|throat (pain|hurts)/],
  ['cough', /cough/],
  ['runny_nose', /runny nose|blocked nose|sneez/],
  ['headache', /headache/],
  ['burning_urine', /burn(s|ing)? (when|while) (i )?pee|burning urin|painful urin|pee a lot/],
  ['rash', /rash|itch/],
  ['vomiting', /vomit|throwing up/],
  ['diarrhoea', /diarrh?o?ea|loose (motion|stool)/],
  ['suicidal', /suicid|kill myself|end my life/],
];

const CONDITIONS: Array<{ code: string; name: string; needs: string[]; urgency: Urgency }> = [
  {
    code: 'acs',
    name: 'Heart attack (acute coronary syndrome)',
    needs: ['chest_pain'],
    urgency: 'emergency',
  },
  { code: 'stroke', name: 'Stroke', needs: ['face_droop'], urgency: 'emergency' },
  { code: 'uti', name: 'Urinary tract infection', needs: ['burning_urine'], urgency: 'routine' },
  { code: 'pharyngitis', name: 'Sore throat (pharyngitis)', needs: ['sore_throat'], urgency: 'self_care' },
  { code: 'common_cold', name: 'Common cold', needs: ['runny_nose'], urgency: 'self_care' },
  { code: 'flu', name: 'Flu', needs: ['fever'], urgency: 'routine' },
  { code: 'bronchitis', name: 'Chest infection', needs: ['cough'], urgency: 'routine' },
  { code: 'gastroenteritis', name: 'Gastroenteritis', needs: ['vomiting'], urgency: 'self_care' },
  { code: 'gastro_d', name: 'Gastroenteritis', needs: ['diarrhoea'], urgency: 'self_care' },
  { code: 'tension_headache', name: 'Tension headache', needs: ['headache'], urgency: 'self_care' },
  { code: 'dermatitis', name: 'Dermatitis', needs: ['rash'], urgency: 'routine' },
];

const NEGATION = /\b(no|not|without|denies|never|don'?t have)\b[^.,;]*$/;

function readFindings(input: TriageInput) {
  const text = [input.description, ...(input.symptoms ?? [])].join('. ').toLowerCase();
  const present: string[] = [];
  const absent: string[] = [];
  for (const [id, pattern] of SYMPTOMS) {
    const m = pattern.exec(text);
    if (!m) continue;
    const before = text.slice(Math.max(0, m.index - 40), m.index);
    (NEGATION.test(before) ? absent : present).push(id);
  }
  return { present, absent };
}

export function assessSymptoms(input: TriageInput): TriageAssessment {
  const findings = readFindings(input);
  const has = (id: string) => findings.present.includes(id);
  const redFlags: string[] = [];
  if (has('chest_pain') && (has('breathless') || has('sweating') || /crushing/.test(input.description)))
    redFlags.push('Chest pain with breathlessness or sweating');
  if (has('face_droop')) redFlags.push('Signs of a stroke (face, arms, speech)');
  if (has('suicidal')) redFlags.push('Thoughts of suicide');
  const ranked = CONDITIONS.filter((c) => c.needs.every(has))
    .map((c, i) => ({ code: c.code, name: c.name, score: Math.max(0.2, 0.8 - i * 0.15), urgency: c.urgency }))
    .slice(0, 5);
  let urgency: Urgency = ranked[0]?.urgency ?? 'routine';
  if (redFlags.length) urgency = 'emergency';
  if (urgency === 'emergency' && !redFlags.length) urgency = 'urgent';
  if (urgency === 'self_care' && (input.durationDays ?? 0) > 14) urgency = 'routine';
  return {
    possibleDiagnoses: ranked.map(({ urgency: _u, ...d }) => d),
    confidenceScore: ranked.length ? 0.6 : 0.2,
    urgency,
    redFlags,
    advice:
      urgency === 'emergency'
        ? 'Call emergency services now (112 in India, or your local emergency number). Do not wait for an online consultation.'
        : urgency === 'self_care'
          ? 'Rest, drink fluids and use over-the-counter remedies; see a doctor if it gets worse or lasts more than a week.'
          : 'A doctor should review your symptoms.',
    recommendedConsultationTypes:
      urgency === 'emergency'
        ? ['emergency']
        : urgency === 'urgent'
          ? ['video', 'emergency']
          : ['chat', 'video'],
    findings,
  };
}

export type LlmOptions = { baseUrl: string; apiKey?: string; model: string; timeoutMs: number };

const llmReply = z.object({
  possibleDiagnoses: z
    .array(z.object({ code: z.string().max(80), name: z.string().max(200), score: z.number().min(0).max(1) }))
    .max(5),
  urgency: z.enum(['emergency', 'urgent', 'routine', 'self_care']),
  confidenceScore: z.number().min(0).max(1).optional(),
  redFlags: z.array(z.string().max(300)).max(10).optional(),
  advice: z.string().max(2000).optional(),
});

/** Never throws: on any failure returns `rules`; may re-rank and raise urgency, never lowers it. */
export async function refineWithLlm(
  input: TriageInput,
  rules: TriageAssessment,
  opts: LlmOptions,
): Promise<TriageAssessment> {
  try {
    const res = await fetch(`${opts.baseUrl.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      signal: AbortSignal.timeout(opts.timeoutMs),
      headers: {
        'content-type': 'application/json',
        ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: opts.model,
        temperature: 0,
        response_format: { type: 'json_object' },
        messages: [
          { role: 'system', content: 'Re-rank the triage. Reply JSON: possibleDiagnoses, urgency, advice.' },
          { role: 'user', content: JSON.stringify({ input, rules }) },
        ],
      }),
    });
    if (!res.ok) return rules;
    const body = (await res.json()) as { choices?: Array<{ message?: { content?: string } }> };
    const parsed = llmReply.safeParse(JSON.parse(body.choices?.[0]?.message?.content ?? ''));
    if (!parsed.success) return rules;
    const urgency = RANK[parsed.data.urgency] > RANK[rules.urgency] ? parsed.data.urgency : rules.urgency;
    return {
      ...rules,
      possibleDiagnoses: parsed.data.possibleDiagnoses.length
        ? parsed.data.possibleDiagnoses
        : rules.possibleDiagnoses,
      urgency,
      redFlags: [...new Set([...rules.redFlags, ...(parsed.data.redFlags ?? [])])],
      advice: urgency === rules.urgency ? (parsed.data.advice ?? rules.advice) : rules.advice,
      recommendedConsultationTypes:
        urgency === 'emergency' ? ['emergency'] : rules.recommendedConsultationTypes,
    };
  } catch {
    return rules;
  }
}
