import type { Condition } from './triage.kb.js';
import type { Context } from './triage.types.js';

/** `supported`: at least one of the condition's key (`requires`) findings is present. */
export type Ranked = {
  condition: Condition;
  score: number;
  probability: number;
  explained: number;
  supported: boolean;
};

/** Findings too unspecific to count against a condition that does not list them. */
const GENERIC = new Set([
  'fatigue',
  'loss_of_appetite',
  'myalgia',
  'nausea',
  'dizziness',
  'inconsolable_cry',
  'poor_feeding',
  'anxiety',
  'insomnia',
  'tachycardia',
  'injury',
  'well_appearing',
  'can_bear_weight',
  'persistent_pain',
  'loss_of_function',
]);
const ABSENT_FACTOR = 0.7;
/** A denied finding that argues against a condition (e.g. "no cough" for tonsillitis) supports it a little. */
const NEGATIVE_ABSENT_FACTOR = 0.3;
const UNEXPLAINED_PENALTY = 0.35;
const TEMPERATURE = 1.3;

function demographicFit(c: Condition, ctx: Context): number | undefined {
  if (c.sex && ctx.sex && c.sex !== ctx.sex) return undefined;
  let fit = 0;
  if (c.ages && ctx.age !== undefined) {
    const [lo, hi] = c.ages;
    if (ctx.age < lo || ctx.age > hi) {
      const gap = ctx.age < lo ? lo - ctx.age : ctx.age - hi;
      fit -= gap > Math.max(2, (hi - lo) * 0.15) ? 4 : 1.5;
    } else fit += 0.3;
  } else if (c.ages && ctx.childHint && c.ages[0] >= 16) fit -= 2;
  if (c.duration && ctx.durationDays !== undefined) {
    const [lo, hi] = c.duration;
    if (ctx.durationDays >= lo && ctx.durationDays <= hi) fit += 0.5;
    else if (ctx.durationDays > hi * 2 + 2 || ctx.durationDays < lo / 2) fit -= 1.5;
    else fit -= 0.5;
  }
  return fit;
}

/**
 * Weighted evidence per condition: present findings add their weight, negated findings subtract 70% of it,
 * findings the condition does not explain cost a little, risk factors and a named diagnosis add, demographics
 * and duration adjust, and a condition with none of its key findings is heavily penalised.
 */
function scoreCondition(
  c: Condition,
  present: Set<string>,
  absent: Set<string>,
  ctx: Context,
): { score: number; explained: number; supported: boolean } | undefined {
  const fit = demographicFit(c, ctx);
  if (fit === undefined) return undefined;
  let score = Math.log1p(c.prior) + fit;
  let positive = 0;
  let explained = 0;
  let considered = 0;
  for (const [id, w] of Object.entries(c.symptoms)) {
    if (present.has(id)) {
      score += w;
      if (w > 0) positive++;
    } else if (absent.has(id)) score += w > 0 ? -ABSENT_FACTOR * w : NEGATIVE_ABSENT_FACTOR * -w;
  }
  for (const id of present) {
    if (id.startsWith('dx:') || c.risk?.[id] !== undefined) continue;
    const w = c.symptoms[id];
    if (w !== undefined && w > 0) explained++;
    if (GENERIC.has(id)) continue;
    considered++;
    if (w === undefined) score -= UNEXPLAINED_PENALTY;
  }
  for (const [id, w] of Object.entries(c.risk ?? {})) if (present.has(id)) score += w;
  if (present.has(`dx:${c.code}`)) {
    score += 2.5;
    positive++;
  } else if (absent.has(`dx:${c.code}`)) score -= 2;
  if (positive === 0) return undefined;
  const supported =
    (!c.requires || c.requires.some((id) => present.has(id))) &&
    (!c.needs || c.needs.every((id) => present.has(id)));
  if (!supported) score -= 4;
  return { score, supported, explained: considered === 0 ? 0 : explained / Math.max(1, considered) };
}

export function rankConditions(
  conditions: Condition[],
  present: Set<string>,
  absent: Set<string>,
  ctx: Context,
): Ranked[] {
  const scored: Array<Omit<Ranked, 'probability'>> = [];
  for (const c of conditions) {
    const s = scoreCondition(c, present, absent, ctx);
    if (s) scored.push({ condition: c, ...s });
  }
  scored.sort((a, b) => b.score - a.score || a.condition.code.localeCompare(b.condition.code));
  const top = scored[0]?.score ?? 0;
  const exps = scored.map((s) => Math.exp((s.score - top) / TEMPERATURE));
  const sum = exps.reduce((a, b) => a + b, 0);
  return scored.map((s, i) => ({ ...s, probability: exps[i]! / sum }));
}
