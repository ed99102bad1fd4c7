import type { Context, Vitals } from './triage.types.js';

export type VitalsReading = {
  /** red: a single high-risk value (NEWS2 3-point parameter, NICE NG51 high-risk); amber: moderate risk. */
  level: 'red' | 'amber' | 'none';
  flags: string[];
  /** Findings implied by the numbers (fever, tachycardia, hypoxia, ...). */
  findings: string[];
};

type Band = { maxAge: number; hrRed: number; hrAmber: number; rrRed: number; rrAmber: number };

/** NICE NG51 heart-rate and respiratory-rate thresholds by age (years). */
const CHILD_BANDS: Band[] = [
  { maxAge: 1, hrRed: 160, hrAmber: 150, rrRed: 60, rrAmber: 50 },
  { maxAge: 3, hrRed: 150, hrAmber: 140, rrRed: 50, rrAmber: 40 },
  { maxAge: 5, hrRed: 140, hrAmber: 130, rrRed: 40, rrAmber: 35 },
  { maxAge: 6, hrRed: 130, hrAmber: 120, rrRed: 29, rrAmber: 24 },
  { maxAge: 8, hrRed: 120, hrAmber: 110, rrRed: 27, rrAmber: 24 },
  { maxAge: 12, hrRed: 115, hrAmber: 105, rrRed: 25, rrAmber: 22 },
  { maxAge: 16, hrRed: 130, hrAmber: 100, rrRed: 25, rrAmber: 21 },
];

/** NEWS2 (Royal College of Physicians) points for the parameters present. */
export function news2(v: Vitals): { total: number; maxSingle: number } {
  const points: number[] = [];
  if (v.rr !== undefined) points.push(v.rr <= 8 ? 3 : v.rr <= 11 ? 1 : v.rr <= 20 ? 0 : v.rr <= 24 ? 2 : 3);
  if (v.spo2 !== undefined) points.push(v.spo2 <= 91 ? 3 : v.spo2 <= 93 ? 2 : v.spo2 <= 95 ? 1 : 0);
  if (v.onOxygen) points.push(2);
  if (v.sbp !== undefined)
    points.push(v.sbp <= 90 ? 3 : v.sbp <= 100 ? 2 : v.sbp <= 110 ? 1 : v.sbp < 220 ? 0 : 3);
  if (v.hr !== undefined)
    points.push(v.hr <= 40 ? 3 : v.hr <= 50 ? 1 : v.hr <= 90 ? 0 : v.hr <= 110 ? 1 : v.hr <= 130 ? 2 : 3);
  if (v.temp !== undefined)
    points.push(v.temp <= 35 ? 3 : v.temp <= 36 ? 1 : v.temp <= 38 ? 0 : v.temp <= 39 ? 1 : 2);
  if (v.gcs !== undefined && v.gcs < 15) points.push(3);
  return { total: points.reduce((a, b) => a + b, 0), maxSingle: Math.max(0, ...points) };
}

function impliedFindings(v: Vitals, child: boolean): string[] {
  const out: string[] = [];
  if (v.temp !== undefined) {
    if (v.temp >= 37.8) out.push('fever');
    if (v.temp >= 39.5) out.push('high_fever');
    if (v.temp < 35.5) out.push('hypothermia');
  }
  if (v.spo2 !== undefined && v.spo2 < 94) out.push('hypoxia');
  if (v.hr !== undefined && v.hr > (child ? 140 : 100)) out.push('tachycardia');
  if (v.sbp !== undefined && v.sbp < (child ? 75 : 91)) out.push('hypotension');
  if (v.rr !== undefined && v.rr > (child ? 40 : 22)) out.push('breathlessness');
  if (v.gcs !== undefined && v.gcs < 15) out.push(v.gcs <= 8 ? 'unresponsive' : 'confusion');
  if (!child && ((v.sbp ?? 0) >= 140 || (v.dbp ?? 0) >= 90)) out.push('hypertension_hx');
  if (v.glucoseMmol !== undefined && v.glucoseMmol < 4) out.push('hypo_symptoms');
  return out;
}

function childReading(v: Vitals, age: number, flags: string[]): 'red' | 'amber' | 'none' {
  const band = CHILD_BANDS.find((b) => age < b.maxAge) ?? CHILD_BANDS[CHILD_BANDS.length - 1]!;
  let level: 'red' | 'amber' | 'none' = 'none';
  const red = (msg: string) => {
    flags.push(msg);
    level = 'red';
  };
  const amber = () => {
    if (level === 'none') level = 'amber';
  };
  if (v.hr !== undefined) {
    if (v.hr > band.hrRed || v.hr < 60) red('Very fast or very slow heart rate for the child’s age');
    else if (v.hr > band.hrAmber) amber();
  }
  if (v.rr !== undefined) {
    if (v.rr >= band.rrRed) red('Very fast breathing for the child’s age');
    else if (v.rr >= band.rrAmber) amber();
  }
  if (v.spo2 !== undefined) {
    if (v.spo2 < 92) red('Low oxygen level');
    else if (v.spo2 < 95) amber();
  }
  if (v.temp !== undefined) {
    if (v.temp < 36) red('Low body temperature');
    if (age <= 0.25 && v.temp >= 38) red('Fever in a baby under 3 months');
    else if (age < 0.5 && v.temp >= 39) amber();
  }
  if (v.sbp !== undefined && v.sbp < 70 + 2 * Math.min(age, 10)) red('Low blood pressure');
  if (v.crtSeconds !== undefined && v.crtSeconds >= 3) amber();
  if (v.gcs !== undefined && v.gcs < 15) red('Reduced level of consciousness');
  return level;
}

/** Reads vital signs against NEWS2 (adults, 16 and over) or NICE NG51 age bands (children). */
export function readVitals(ctx: Context): VitalsReading {
  const v = ctx.vitals;
  const child = ctx.age !== undefined ? ctx.age < 16 : ctx.childHint === true;
  const findings = impliedFindings(v, child);
  const flags: string[] = [];
  if (Object.keys(v).length === 0) return { level: 'none', flags, findings };
  if (child && ctx.age !== undefined) return { level: childReading(v, ctx.age, flags), flags, findings };
  const { total, maxSingle } = news2(v);
  if (v.sbp !== undefined && v.sbp <= 90) flags.push('Low blood pressure');
  if (v.hr !== undefined && (v.hr >= 131 || v.hr <= 40)) flags.push('Very fast or very slow heart rate');
  if (v.rr !== undefined && (v.rr >= 25 || v.rr <= 8)) flags.push('Very fast or very slow breathing');
  if (v.spo2 !== undefined && v.spo2 <= 91) flags.push('Low oxygen level');
  if (v.temp !== undefined && v.temp <= 35) flags.push('Low body temperature');
  if (v.sbp !== undefined && v.sbp >= 220) flags.push('Very high blood pressure');
  if (v.gcs !== undefined && v.gcs < 15) flags.push('Reduced level of consciousness');
  if (v.glucoseMmol !== undefined && v.glucoseMmol < 3) flags.push('Very low blood sugar');
  if (maxSingle >= 3 || total >= 7 || flags.length > 0) {
    if (flags.length === 0) flags.push('Abnormal vital signs (high early-warning score)');
    return { level: 'red', flags, findings };
  }
  return { level: total >= 5 ? 'amber' : 'none', flags, findings };
}
