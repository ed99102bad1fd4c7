/** Values `.env.example` and docs show; a deployment that copied one is not keyed at all. */
const PLACEHOLDER = /change-?me|placeholder|example|your[-_]?secret|^secret$|^password$/i;

/** Bits of Shannon entropy of the value's character distribution times its length: a rough upper bound. */
export function estimatedEntropyBits(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * value.length;
}

/** A value that is one shorter string repeated (`abcabcabc...`). */
function isRepetition(value: string): boolean {
  for (let len = 1; len <= value.length / 2; len++) {
    if (value.length % len) continue;
    if (value.slice(0, len).repeat(value.length / len) === value) return true;
  }
  return false;
}

/** Mostly runs of neighbouring characters (`abcdef...`, `123456...`, `zyxw...`); random text has few. */
function isSequence(value: string): boolean {
  let steps = 0;
  for (let i = 1; i < value.length; i++)
    if (Math.abs(value.charCodeAt(i) - value.charCodeAt(i - 1)) <= 1) steps++;
  return steps > (value.length - 1) / 2;
}

export const MIN_SECRET_BITS = 128;

/** Why a production secret is unsafe, or null. `openssl rand -base64 48` gives about 330 bits. */
export function secretProblem(value: string): string | null {
  if (PLACEHOLDER.test(value)) return 'is a placeholder value';
  const distinct = new Set(value).size;
  if (
    isRepetition(value) ||
    isSequence(value) ||
    distinct < 10 ||
    estimatedEntropyBits(value) < MIN_SECRET_BITS
  )
    return 'has too little entropy (it looks typed or patterned, not random)';
  return null;
}
