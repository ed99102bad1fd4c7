/** `npm run eval:triage`: prints the triage figures for each case set (add `--misses` to list the misses). */
import { type CaseSet, evaluate, type Metrics } from './triage.eval.js';

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

function print(title: string, m: Metrics, showMisses: boolean) {
  const lines = [
    `\n${title} (${m.cases} cases)`,
    `  emergency recall        ${pct(m.emergencyRecall)}`,
    `  false emergency rate    ${pct(m.falseEmergencyRate)}`,
    `  triage accuracy         ${pct(m.accuracy)}`,
    ...Object.entries(m.accuracyByLevel).map(
      ([level, e]) => `    ${level.padEnd(21)} ${pct(e.rate)} (${e.correct}/${e.total})`,
    ),
    `  over-triage             ${pct(m.overTriage)}`,
    `  under-triage            ${pct(m.underTriage)}`,
    `  top-1 diagnosis         ${pct(m.top1)}`,
    `  top-3 diagnosis         ${pct(m.top3)}`,
  ];
  console.log(lines.join('\n'));
  if (showMisses)
    for (const miss of m.misses)
      console.log(
        `    miss ${miss.id}: expected ${miss.expected} got ${miss.got}; dx ${miss.diagnoses.join('/')} got ${miss.got3.join(', ')}`,
      );
}

const showMisses = process.argv.includes('--misses');
const sets: Array<[CaseSet, string]> = [
  ['red-flags', 'Red-flag suite (patient-worded)'],
  ['ordinary', 'Ordinary cases (patient-worded)'],
  ['vignettes', 'Clinician vignettes, set 1 (held out; its misses were read to find general gaps)'],
  ['vignettes-unseen', 'Clinician vignettes, set 2 (written last, see the note for its first-run figures)'],
  ['vignettes-set3', 'Clinician vignettes, set 3 (issue 14 follow-up; first-run figures in the note)'],
];
for (const [set, title] of sets) print(title, evaluate(set), showMisses);
