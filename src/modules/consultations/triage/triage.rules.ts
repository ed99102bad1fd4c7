import { extractContext } from './triage.extract.js';
import { type Condition, knowledgeBase } from './triage.kb.js';
import { findRedFlags, findUrgentSigns } from './triage.redflags.js';
import { type Ranked, rankConditions } from './triage.score.js';
import { makeReader, type Reader } from './triage.text.js';
import {
  type ConsultationType,
  type Context,
  maxUrgency,
  type TriageAssessment,
  type TriageInput,
  URGENCY_RANK,
  type Urgency,
} from './triage.types.js';
import { readVitals } from './triage.vitals.js';

export const TRIAGE_DISCLAIMER =
  'This is an automated preliminary assessment, not a diagnosis or medical advice, and it can be wrong. ' +
  'A doctor will review your symptoms. If you think it is an emergency — for example chest pain, difficulty ' +
  'breathing, signs of a stroke, heavy bleeding, a seizure or thoughts of harming yourself — call emergency ' +
  'services now (112 in India, or your local emergency number) or go to the nearest emergency department.';

export const EMERGENCY_ADVICE =
  'Call emergency services now (112 in India, or your local emergency number) or go to the nearest emergency department. Do not wait for an online consultation.';

let reader: Reader | undefined;
function getReader(): Reader {
  if (!reader) {
    const kb = knowledgeBase();
    reader = makeReader(kb.lexicon, kb.aliases);
  }
  return reader;
}

const SHORTHAND: Array<[RegExp, string]> = [
  [/\b(?:afebrile|apyrexial|no pyrexia)\b/g, ' no fever '],
  [/\b(?:normal|no) (?:temperature|temp)\b/g, ' no fever '],
  [/\b(?:temperature|temp) (?:is |was )?normal\b/g, ' no fever '],
  [/\bfit and well\b/g, ' well '],
  [
    /\b(?:took|taken|taking|swallowed|ingested|had)\s+(?:about |around |over |up to )?\d+\s+(?:\w+\s+)?(?:tablets|pills|capsules|paracetamol|tabs)\b/g,
    ' overdose ',
  ],
  [/\bfit and healthy\b/g, ' healthy '],
  [/\b(?:does not|doesn't|doesnt|not|without) cross(?:ing)? the midline\b/g, ' dermatomal '],
  [/-ve\b/g, ' negative '],
  [/\+ve\b/g, ' positive '],
];

function readInput(input: TriageInput) {
  const raw = [input.description, ...(input.symptoms ?? [])].join('. ');
  const { text, context } = extractContext(raw);
  const ctx: Context = { ...context };
  if (input.age !== undefined) ctx.age = input.age;
  if (input.gender === 'female' || input.gender === 'male') ctx.sex = input.gender;
  if (input.durationDays !== undefined) ctx.durationDays = input.durationDays;
  let cleaned = text;
  for (const [re, to] of SHORTHAND) cleaned = cleaned.replace(re, to);
  const reading = getReader()(cleaned + compositeFindings(cleaned));
  resolveDischarge(reading.present, ctx);
  // Redness over an inflamed joint is the joint's, not a skin infection, unless it is said to spread.
  if (reading.present.has('hot_joint') && !/\b(?:spread\w*|streak\w*|tracking)\b/.test(cleaned)) {
    reading.present.delete('spreading_redness');
    reading.present.delete('local_redness');
  }
  const vitals = readVitals(ctx);
  for (const f of vitals.findings) {
    reading.present.add(f);
    reading.absent.delete(f);
  }
  if (ctx.vitals.temp !== undefined && ctx.vitals.temp < 37.5 && !reading.present.has('fever'))
    reading.absent.add('fever');
  return { ctx, reading, vitals };
}

const JOINT = '(?:knee|ankle|wrist|elbow|shoulder|hip|joint|toe|mtp|metatarsophalangeal|knuckle)s?';
const INFLAMED = '(?:hot|warm|red|erythematous|inflamed)';
const DERMATOMAL =
  /\b(?:vesic\w*|blister\w*|rash|eruption)\b[^.;]{0,50}\b(?:band|strip|stripe|belt|one side|unilateral|dermatom\w*)\b/;

/**
 * Findings that depend on what words sit together: a hot/red swollen joint is an inflamed joint (septic
 * arthritis, gout), not a skin infection; a blistering rash in a band or on one side is dermatomal.
 */
function compositeFindings(text: string): string {
  const extra: string[] = [];
  for (const sentence of text.split(/[.;]+/)) {
    const inflamedJoint =
      new RegExp(`\\b${INFLAMED}\\b[^.;]{0,30}\\b${JOINT}\\b`).test(sentence) ||
      new RegExp(`\\b${JOINT}\\b[^.;]{0,25}\\b${INFLAMED}\\b`).test(sentence);
    if (inflamedJoint && /\b(?:swollen|swelling|effusion|hot|warm)\b/.test(sentence)) extra.push('hot joint');
    if (DERMATOMAL.test(sentence)) extra.push('dermatomal rash');
  }
  return extra.length > 0 ? `. ${extra.join('. ')}.` : '';
}

const EYE = ['red_eye', 'itchy_eyes', 'eye_pain', 'photophobia', 'eye_discharge', 'eyelid_lump'];
const EAR = ['ear_pain', 'ear_itch', 'hearing_loss', 'ear_discharge'];

/** A discharge with no body site named in its clause takes the site the rest of the text points to. */
function resolveDischarge(present: Set<string>, ctx: Context) {
  if (!present.delete('discharge_unsited')) return;
  if (EYE.some((id) => present.has(id))) present.add('eye_discharge');
  else if (EAR.some((id) => present.has(id))) present.add('ear_discharge');
  else if (present.has('runny_nose') || present.has('sneezing')) present.add('runny_nose');
  else present.add(ctx.sex === 'male' ? 'penile_discharge' : 'vaginal_discharge');
}

/**
 * A condition's urgency for this patient: `mildUrgency` applies when none of its `escalators` is present
 * and, when `mildIf` is given, one of its findings is (e.g. croup with no stridor, playing normally -> self care).
 */
function urgencyOf(c: Condition, present: Set<string>): Urgency {
  if (!c.mildUrgency) return c.urgency;
  if (c.escalators?.some((id) => present.has(id))) return c.urgency;
  if (c.mildIf && !c.mildIf.some((id) => present.has(id))) return c.urgency;
  return c.mildUrgency;
}

const LEVELS: Urgency[] = ['self_care', 'routine', 'urgent', 'emergency'];

function conditionUrgency(ranked: Ranked[], present: Set<string>): Urgency {
  const top = ranked[0];
  if (!top) return 'routine';
  // A condition none of whose key findings is present is a weak guess: emergency -> urgent, urgent -> routine.
  const base = urgencyOf(top.condition, present);
  const cap: Urgency = base === 'emergency' ? 'urgent' : 'routine';
  const weak = !top.supported && URGENCY_RANK[base] > URGENCY_RANK[cap];
  const urgency: Urgency = weak ? cap : base;
  // A close, more dangerous alternative with one of its key findings raises the level by one step (never to emergency).
  const close = ranked.slice(1, 3).filter((r) => r.supported && r.probability >= 0.6 * top.probability);
  const worst = Math.max(...close.map((r) => URGENCY_RANK[urgencyOf(r.condition, present)]), 0);
  if (worst >= URGENCY_RANK.urgent && worst > URGENCY_RANK[urgency]) {
    const raised = LEVELS[Math.min(URGENCY_RANK[urgency] + 1, URGENCY_RANK.urgent)]!;
    return maxUrgency(urgency, raised);
  }
  return urgency;
}

function escalate(urgency: Urgency, ranked: Ranked[], ctx: Context): Urgency {
  const top = ranked[0]?.condition;
  let u = urgency;
  if (
    top?.duration &&
    ctx.durationDays !== undefined &&
    top.selfLimiting &&
    ctx.durationDays > top.duration[1]
  )
    u = maxUrgency(u, 'routine');
  if (u === 'self_care' && ctx.age !== undefined && ctx.age >= 75) u = 'routine';
  return u;
}

function typesFor(urgency: Urgency): ConsultationType[] {
  if (urgency === 'emergency') return ['emergency'];
  if (urgency === 'self_care') return ['chat', 'video'];
  return ['video', 'chat'];
}

const NEXT_STEP: Record<Exclude<Urgency, 'emergency'>, string> = {
  urgent: 'Please speak to a doctor today; a video consultation is best.',
  routine: 'Book a consultation with a doctor in the next few days.',
  self_care:
    'This can usually be looked after at home. Book a consultation if you are worried, it gets worse or does not improve.',
};

function adviceFor(urgency: Urgency, ranked: Ranked[]): string {
  const top = ranked[0]?.condition;
  if (urgency === 'emergency') {
    const emergencyCondition = ranked.slice(0, 3).find((r) => r.condition.urgency === 'emergency')?.condition;
    return [EMERGENCY_ADVICE, emergencyCondition?.advice].filter(Boolean).join(' ');
  }
  if (!top) return `We could not match your symptoms with confidence. ${NEXT_STEP[urgency]}`;
  return `${top.advice} ${NEXT_STEP[urgency]}`;
}

function confidence(ranked: Ranked[], findings: number, redFlags: number): number {
  const top = ranked[0];
  if (!top) return redFlags > 0 ? 0.5 : 0.1;
  const second = ranked[1]?.probability ?? 0;
  const margin = (top.probability - second) / Math.max(top.probability, 1e-9);
  const raw =
    0.1 + 0.35 * top.probability + 0.25 * top.explained + 0.15 * margin + 0.1 * Math.min(1, findings / 4);
  return Math.round(Math.min(0.95, Math.max(0.05, raw)) * 100) / 100;
}

/** The built-in, deterministic, offline triage. */
export function assessSymptoms(input: TriageInput): TriageAssessment {
  const { ctx, reading, vitals } = readInput(input);
  const kb = knowledgeBase();
  const evidence = { present: reading.present, modifiers: reading.modifiers, ctx };
  const redFlags = [...findRedFlags(evidence), ...(vitals.level === 'red' ? vitals.flags : [])];
  const ranked = rankConditions(kb.conditions, reading.present, reading.absent, ctx);
  let urgency = escalate(conditionUrgency(ranked, reading.present), ranked, ctx);
  if (findUrgentSigns(evidence).length > 0 || vitals.level === 'amber')
    urgency = maxUrgency(urgency, 'urgent');
  if (redFlags.length > 0 || vitals.level === 'red') urgency = 'emergency';
  if (urgency === 'emergency' && redFlags.length === 0) {
    const named = ranked.slice(0, 3).find((r) => r.condition.urgency === 'emergency')?.condition.name;
    redFlags.push(named ? `Symptoms that may mean: ${named}` : 'Symptoms that need emergency care');
  }
  const present = [...reading.present].filter((id) => !id.startsWith('dx:')).sort();
  const absent = [...reading.absent].filter((id) => !id.startsWith('dx:')).sort();
  return {
    possibleDiagnoses: ranked
      .slice(0, 5)
      .filter((r, i) => i === 0 || r.probability >= 0.02)
      .map((r) => ({
        code: r.condition.code,
        name: r.condition.name,
        score: Math.round(r.probability * 100) / 100,
      })),
    confidenceScore: confidence(ranked, present.length, redFlags.length),
    urgency,
    redFlags: [...new Set(redFlags)],
    advice: adviceFor(urgency, ranked),
    recommendedConsultationTypes: typesFor(urgency),
    findings: { present, absent },
  };
}
