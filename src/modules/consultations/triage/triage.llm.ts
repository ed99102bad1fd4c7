import { z } from 'zod';
import { knowledgeBase } from './triage.kb.js';
import { EMERGENCY_ADVICE } from './triage.rules.js';
import {
  type LlmOptions,
  maxUrgency,
  type TriageAssessment,
  type TriageInput,
  URGENCY_RANK,
} from './triage.types.js';

const urgencies = ['emergency', 'urgent', 'routine', 'self_care'] as const;

/** The JSON schema the model must answer with (OpenAI structured outputs, strict mode). */
export const REFINEMENT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['rankedCodes', 'urgency', 'redFlags', 'confidenceScore'],
  properties: {
    rankedCodes: {
      type: 'array',
      items: { type: 'string' },
      description: 'Candidate codes, most likely first (at most 5)',
    },
    urgency: { type: 'string', enum: [...urgencies] },
    redFlags: { type: 'array', items: { type: 'string' } },
    confidenceScore: { type: 'number' },
  },
} as const;

const refinementSchema = z.object({
  rankedCodes: z.array(z.string().max(20)).max(10),
  urgency: z.enum(urgencies),
  redFlags: z.array(z.string().max(200)).max(10),
  confidenceScore: z.number().min(0).max(1),
});

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
});

const SYSTEM_PROMPT = [
  'You help a telehealth service triage patients. You receive what the patient wrote and a rules-based assessment.',
  'Re-rank the candidate conditions (use only the given codes) and choose the urgency:',
  'emergency = call emergency services now; urgent = see a doctor today; routine = within days; self_care = manage at home.',
  'List any red flags in plain language. Answer only with JSON matching the schema.',
].join(' ');

function candidates(rules: TriageAssessment) {
  const kb = knowledgeBase();
  const ranked = rules.possibleDiagnoses.map((d) => d.code);
  const others = kb.conditions.filter((c) => !ranked.includes(c.code)).map((c) => c.code);
  const codes = [...ranked, ...others];
  return codes.map((code) => ({ code, name: kb.conditions.find((c) => c.code === code)?.name ?? code }));
}

export function buildRequest(input: TriageInput, rules: TriageAssessment, model: string) {
  const user = {
    patient: {
      description: input.description,
      symptoms: input.symptoms ?? [],
      age: input.age ?? null,
      gender: input.gender ?? null,
      durationDays: input.durationDays ?? null,
    },
    rulesAssessment: {
      possibleDiagnoses: rules.possibleDiagnoses,
      urgency: rules.urgency,
      redFlags: rules.redFlags,
      findings: rules.findings,
    },
    candidates: candidates(rules),
  };
  return {
    model,
    temperature: 0,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: JSON.stringify(user) },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'triage_refinement', strict: true, schema: REFINEMENT_SCHEMA },
    },
  };
}

function merge(rules: TriageAssessment, refined: z.infer<typeof refinementSchema>): TriageAssessment {
  const kb = knowledgeBase();
  const byCode = new Map(kb.conditions.map((c) => [c.code, c]));
  const rulesScore = new Map(rules.possibleDiagnoses.map((d) => [d.code, d.score]));
  const codes = [...new Set(refined.rankedCodes.filter((code) => byCode.has(code)))].slice(0, 5);
  const possibleDiagnoses =
    codes.length === 0
      ? rules.possibleDiagnoses
      : codes.map((code, i) => ({
          code,
          name: byCode.get(code)!.name,
          score:
            Math.round(Math.max(rulesScore.get(code) ?? 0, (codes.length - i) / (codes.length * 2)) * 100) /
            100,
        }));
  const urgency = maxUrgency(rules.urgency, refined.urgency);
  const redFlags = [
    ...new Set([...rules.redFlags, ...refined.redFlags.map((f) => f.trim()).filter((f) => f.length > 0)]),
  ];
  const raised = URGENCY_RANK[urgency] > URGENCY_RANK[rules.urgency];
  return {
    ...rules,
    possibleDiagnoses,
    urgency,
    redFlags,
    confidenceScore: Math.round(((rules.confidenceScore + refined.confidenceScore) / 2) * 100) / 100,
    advice: urgency === 'emergency' && raised ? EMERGENCY_ADVICE : rules.advice,
    recommendedConsultationTypes:
      urgency === 'emergency'
        ? ['emergency']
        : raised && urgency === 'urgent'
          ? ['video', 'chat']
          : rules.recommendedConsultationTypes,
  };
}

/**
 * Asks an OpenAI-compatible chat completion to re-rank the rules' answer. Never throws: any network error,
 * timeout, non-2xx status or reply that fails validation returns `rules` unchanged. Urgency can only go up.
 */
export async function refineWithLlm(
  input: TriageInput,
  rules: TriageAssessment,
  opts: LlmOptions,
): Promise<TriageAssessment> {
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    const res = await fetch(`${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify(buildRequest(input, rules, opts.model)),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    if (!res.ok) return rules;
    const completion = completionSchema.safeParse(await res.json());
    if (!completion.success) return rules;
    const content = completion.data.choices[0]!.message.content;
    const refined = refinementSchema.safeParse(JSON.parse(content));
    if (!refined.success) return rules;
    return merge(rules, refined.data);
  } catch {
    return rules;
  }
}
