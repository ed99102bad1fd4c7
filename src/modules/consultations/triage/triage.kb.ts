import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Lexicon, LexiconEntry } from './triage.text.js';

const urgency = z.enum(['emergency', 'urgent', 'routine', 'self_care']);
const weights = z.record(z.string(), z.number());

const conditionSchema = z.object({
  code: z.string().min(1),
  name: z.string().min(1),
  urgency,
  prior: z.number().min(0),
  symptoms: weights,
  risk: weights.optional(),
  ages: z.tuple([z.number(), z.number()]).optional(),
  sex: z.enum(['female', 'male']).optional(),
  duration: z.tuple([z.number(), z.number()]).optional(),
  aliases: z.array(z.string()).optional(),
  requires: z.array(z.string()).optional(),
  needs: z.array(z.string()).optional(),
  mildUrgency: urgency.optional(),
  escalators: z.array(z.string()).optional(),
  mildIf: z.array(z.string()).optional(),
  selfLimiting: z.boolean(),
  advice: z.string().min(1),
});
export type Condition = z.infer<typeof conditionSchema>;

const lexiconSchema = z.object({
  painWords: z.array(z.string()),
  sites: z.record(z.string(), z.string()),
  misspellings: z.record(z.string(), z.string()),
  swellingWords: z.array(z.string()),
  swellingSites: z.record(z.string(), z.string()),
  droopWords: z.array(z.string()),
  droopSites: z.record(z.string(), z.string()),
  dischargeWords: z.array(z.string()),
  dischargeSites: z.record(z.string(), z.string()),
  ulcerWords: z.array(z.string()),
  ulcerSites: z.record(z.string(), z.string()),
  entries: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      terms: z.array(z.string()).min(1),
      implies: z.array(z.string()).optional(),
      kind: z.enum(['symptom', 'risk', 'sign']).optional(),
    }),
  ),
});

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'));
}

export type KnowledgeBase = {
  conditions: Condition[];
  lexicon: Lexicon;
  aliases: LexiconEntry[];
  labels: Map<string, string>;
};

let cached: KnowledgeBase | undefined;

/** The knowledge base and lexicon shipped as JSON beside this file, validated once. */
export function knowledgeBase(): KnowledgeBase {
  if (cached) return cached;
  const conditions = z
    .object({ conditions: z.array(conditionSchema) })
    .parse(readJson('knowledge-base.json')).conditions;
  const lexicon = lexiconSchema.parse(readJson('lexicon.json'));
  const aliases: LexiconEntry[] = conditions
    .filter((c) => c.aliases && c.aliases.length > 0)
    .map((c) => ({ id: `dx:${c.code}`, label: c.name, terms: c.aliases ?? [], kind: 'symptom' as const }));
  const labels = new Map(lexicon.entries.map((e) => [e.id, e.label]));
  cached = { conditions, lexicon, aliases, labels };
  return cached;
}
