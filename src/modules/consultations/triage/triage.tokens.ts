/** Tokenising and light stemming shared by the lexicon and the text reader, so both sides agree. */

const CONTRACTIONS: Array<[RegExp, string]> = [
  [/\bcan ?not\b/g, 'cant'],
  [/\bunable to\b/g, 'cant'],
  [/\bnot able to\b/g, 'cant'],
  [/\bwon't\b/g, 'wont'],
  [/\b(do|does|did|is|was|has|have|had|are|were) not\b/g, '$1nt'],
  [/n't\b/g, 'nt'],
  [/'s\b/g, ''],
  [/'/g, ''],
];

export function splitWords(text: string): string[] {
  let t = text.toLowerCase();
  for (const [re, to] of CONTRACTIONS) t = t.replace(re, to);
  return t.split(/[^a-z0-9%]+/).filter((w) => w.length > 0);
}

export function stem(word: string): string {
  let w = word;
  if (w.length <= 3 || /^\d/.test(w)) return w;
  let stripped = false;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('ing') && w.length > 5) {
    w = w.slice(0, -3);
    stripped = true;
  } else if (w.endsWith('ed') && w.length > 4 && !w.endsWith('eed')) {
    w = w.slice(0, -2);
    stripped = true;
  } else if (/(ch|sh|x|ss)es$/.test(w) && w.length > 4) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is|ous)$/.test(w)) w = w.slice(0, -1);
  if (stripped && /([^aeioulsz])\1$/.test(w)) w = w.slice(0, -1);
  w = w.replace(/ae/g, 'e').replace(/oe/g, 'e');
  if (w.length >= 4 && w.endsWith('e') && !w.endsWith('ee')) w = w.slice(0, -1);
  return w;
}

/** Damerau-Levenshtein distance with an early exit above `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const prev = rows[i - 1]!;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, rows[i - 2]![j - 2]! + 1);
      row.push(v);
    }
    rows.push(row);
    if (i > 0 && Math.min(...row) > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}
