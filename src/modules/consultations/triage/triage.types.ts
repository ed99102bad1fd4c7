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
  /** Ranked, most likely first, at most 5. */
  possibleDiagnoses: Array<{ code: string; name: string; score: number }>;
  /** 0..1 */
  confidenceScore: number;
  urgency: Urgency;
  /** Plain-language red flags found ([] when none). */
  redFlags: string[];
  advice: string;
  /** emergency -> ['emergency'] only */
  recommendedConsultationTypes: ConsultationType[];
  /** Normalised symptom ids read from the text. */
  findings: { present: string[]; absent: string[] };
};

export type LlmOptions = { baseUrl: string; apiKey?: string; model: string; timeoutMs: number };

export const URGENCY_RANK: Record<Urgency, number> = { self_care: 0, routine: 1, urgent: 2, emergency: 3 };

export function maxUrgency(a: Urgency, b: Urgency): Urgency {
  return URGENCY_RANK[a] >= URGENCY_RANK[b] ? a : b;
}

/** Vital signs read from the text (temperature in degrees Celsius, systolic/diastolic in mmHg). */
export type Vitals = {
  hr?: number;
  sbp?: number;
  dbp?: number;
  rr?: number;
  spo2?: number;
  temp?: number;
  gcs?: number;
  glucoseMmol?: number;
  crtSeconds?: number;
  onOxygen?: boolean;
};

export type Context = {
  age?: number;
  /** Set when the text speaks of a child but gives no age. */
  childHint?: boolean;
  sex?: 'female' | 'male';
  durationDays?: number;
  vitals: Vitals;
};
