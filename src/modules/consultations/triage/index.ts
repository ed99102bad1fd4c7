export { refineWithLlm } from './triage.llm.js';
export { assessSymptoms, TRIAGE_DISCLAIMER } from './triage.rules.js';
export type {
  ConsultationType,
  LlmOptions,
  TriageAssessment,
  TriageInput,
  Urgency,
} from './triage.types.js';
