import { editDistance, splitWords, stem } from './triage.tokens.js';

export type LexiconEntry = {
  id: string;
  label: string;
  terms: string[];
  implies?: string[];
  kind?: 'symptom' | 'risk' | 'sign';
};
export type Lexicon = {
  entries: LexiconEntry[];
  misspellings: Record<string, string>;
  painWords: string[];
  sites: Record<string, string>;
  swellingWords: string[];
  swellingSites: Record<string, string>;
  droopWords: string[];
  droopSites: Record<string, string>;
  dischargeWords: string[];
  dischargeSites: Record<string, string>;
  ulcerWords: string[];
  ulcerSites: Record<string, string>;
};
export type Modifier = 'severe' | 'sudden' | 'worsening';
export type Reading = {
  present: Set<string>;
  absent: Set<string>;
  modifiers: Map<string, Set<Modifier>>;
};

const FILLERS = new Set(
  'my the a an has have had his her their our your its this that very really so quite bit little slightly some just also too any been much more of in on at to left right both whole entire all over kind sort bad badly severe severely terrible terribly awful horrible extremely constant constantly keep keeps kept is are was were be feel feels felt like having got get gets getting look looks looking seem seems gone turned went become became'
    .split(' ')
    .map(stem),
);
const NEGATION_CUES = new Set(
  'no not non nil none denies denied deny denying without negative nor neither never dont doesnt didnt hasnt havent hadnt isnt wasnt arent werent wont absence free'.split(
    ' ',
  ),
);
const POST_NEGATION = new Set(['absent', 'denied', 'negative', 'none', 'nil', 'resolved', 'gone']);
const TERMINATORS = new Set(
  'but however although though except apart aside yet still which who has have had is are was were with reports report complains complaining presents presenting got having feels feeling now developed started start positive plus then also since'.split(
    ' ',
  ),
);
const HISTORY_CUES = new Set([
  'history',
  'hx',
  'pmh',
  'pmhx',
  'previous',
  'previously',
  'prior',
  'past',
  'known',
  'background',
]);
const FAMILY_CUES = new Set([
  'family',
  'fhx',
  'fh',
  'mother',
  'father',
  'mum',
  'dad',
  'brother',
  'sister',
  'parents',
  'grandfather',
  'grandmother',
  'uncle',
  'aunt',
  'relatives',
]);
const SEVERE = new Set(
  'severe severely terrible terribly awful horrible excruciating unbearable intense agonising agonizing worst crushing extreme extremely 10/10 agony'
    .split(' ')
    .map(stem),
);
const SUDDEN = new Set(
  'sudden suddenly abrupt abruptly thunderclap instantly instant nowhere'.split(' ').map(stem),
);
const WORSENING = new Set(
  'worse worsening getting deteriorating deteriorated spreading rapidly'.split(' ').map(stem),
);

type Phrase = { ids: Array<{ id: string; kind: LexiconEntry['kind'] }>; tokens: string[] };
type Match = { id: string; start: number; end: number; kind: LexiconEntry['kind'] };

export type Reader = (text: string) => Reading;

/** Builds the free-text reader from the lexicon (and condition aliases given as extra entries). */
export function makeReader(lexicon: Lexicon, extra: LexiconEntry[] = []): Reader {
  const byFirst = new Map<string, Phrase[]>();
  const byKey = new Map<string, Phrase>();
  const vocab = new Set<string>();
  const implies = new Map<string, string[]>();
  for (const entry of [...lexicon.entries, ...extra]) {
    if (entry.implies) implies.set(entry.id, entry.implies);
    for (const term of entry.terms) {
      const tokens = splitWords(term).map(stem);
      if (tokens.length === 0) continue;
      for (const t of tokens) vocab.add(t);
      const key = tokens.join(' ');
      const existing = byKey.get(key);
      if (existing) {
        if (!existing.ids.some((x) => x.id === entry.id))
          existing.ids.push({ id: entry.id, kind: entry.kind });
        continue;
      }
      const phrase: Phrase = { ids: [{ id: entry.id, kind: entry.kind }], tokens };
      byKey.set(key, phrase);
      const list = byFirst.get(tokens[0]!) ?? [];
      list.push(phrase);
      byFirst.set(tokens[0]!, list);
    }
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.tokens.length - a.tokens.length);
  const siteKinds: SiteKind[] = [
    {
      words: new Set(lexicon.painWords.map(stem)),
      sites: new Map(Object.entries(lexicon.sites).map(([w, id]) => [stem(w), id])),
    },
    {
      words: new Set(lexicon.swellingWords.map(stem)),
      sites: new Map(Object.entries(lexicon.swellingSites).map(([w, id]) => [stem(w), id])),
    },
    {
      words: new Set(lexicon.droopWords.map(stem)),
      sites: new Map(Object.entries(lexicon.droopSites).map(([w, id]) => [stem(w), id])),
    },
    {
      words: new Set(lexicon.dischargeWords.map(stem)),
      sites: new Map(Object.entries(lexicon.dischargeSites).map(([w, id]) => [stem(w), id])),
      unsited: 'discharge_unsited',
      sharedSites: true,
    },
    {
      words: new Set(lexicon.ulcerWords.map(stem)),
      sites: new Map(Object.entries(lexicon.ulcerSites).map(([w, id]) => [stem(w), id])),
      sharedSites: true,
    },
  ];
  for (const kind of siteKinds) for (const w of [...kind.words, ...kind.sites.keys()]) vocab.add(w);
  const misspellings = new Map(Object.entries(lexicon.misspellings));
  const vocabList = [...vocab].filter((v) => v.length >= 5);
  const fuzzyCache = new Map<string, string>();

  const correct = (raw: string): string => {
    const s = stem(raw);
    if (vocab.has(s) || s.length < 6 || /\d/.test(s)) return s;
    const cached = fuzzyCache.get(s);
    if (cached !== undefined) return cached;
    const max = s.length >= 9 ? 2 : 1;
    let best = s;
    let bestD = max + 1;
    for (const v of vocabList) {
      const d = editDistance(s, v, max);
      if (d < bestD) {
        bestD = d;
        best = v;
      }
    }
    fuzzyCache.set(s, best);
    return best;
  };

  const matchAt = (tokens: string[], i: number): Match[] => {
    const candidates = byFirst.get(tokens[i]!);
    if (!candidates) return [];
    for (const p of candidates) {
      let j = i + 1;
      let k = 1;
      let skips = 0;
      while (k < p.tokens.length && j < tokens.length) {
        if (tokens[j] === p.tokens[k]) {
          j++;
          k++;
        } else if (FILLERS.has(tokens[j]!) && skips < 3) {
          j++;
          skips++;
        } else break;
      }
      if (k === p.tokens.length) return p.ids.map((x) => ({ id: x.id, kind: x.kind, start: i, end: j }));
    }
    return [];
  };

  const readClause = (words: string[], out: Reading) => {
    const raw = words.flatMap((w) => misspellings.get(w)?.split(' ') ?? [w]);
    const tokens = raw.map(correct);
    const matches: Match[] = [];
    const used = new Array<boolean>(tokens.length).fill(false);
    for (let i = 0; i < tokens.length; ) {
      const found = matchAt(tokens, i);
      const first = found[0];
      if (first) {
        matches.push(...found);
        for (let k = first.start; k < first.end; k++) used[k] = true;
        i = first.end;
      } else i++;
    }
    for (const kind of siteKinds) matches.push(...siteMatches(tokens, used, kind));
    const mods = new Set<Modifier>();
    for (const t of tokens) {
      if (SEVERE.has(t)) mods.add('severe');
      if (SUDDEN.has(t)) mods.add('sudden');
      if (WORSENING.has(t)) mods.add('worsening');
    }
    for (const m of matches) {
      const scope = scopeOf(raw, used, m);
      if (scope === 'family' || (scope === 'history' && m.kind !== 'risk')) continue;
      const ids = expand(m.id, implies);
      // "non-bloody diarrhoea": only the qualifier is denied, the diarrhoea itself is present.
      const qualifierOnly =
        scope === 'negated' && m.start > 0 && raw[m.start - 1] === 'non' && ids.length > 1;
      for (const id of ids) {
        if (scope === 'negated' && (id === m.id || !qualifierOnly)) {
          if (id === m.id) out.absent.add(id);
        } else {
          out.present.add(id);
          const set = out.modifiers.get(id) ?? new Set<Modifier>();
          for (const x of mods) set.add(x);
          out.modifiers.set(id, set);
        }
      }
    }
  };

  return (text: string) => {
    const out: Reading = { present: new Set(), absent: new Set(), modifiers: new Map() };
    for (const clause of splitClauses(text)) readClause(splitWords(clause), out);
    for (const id of out.present) out.absent.delete(id);
    return out;
  };
}

function expand(id: string, implies: Map<string, string[]>): string[] {
  const seen = new Set<string>([id]);
  const queue = [id];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const x of implies.get(next) ?? []) {
      if (!seen.has(x)) {
        seen.add(x);
        queue.push(x);
      }
    }
  }
  return [...seen];
}

function splitClauses(text: string): string[] {
  return text
    .split(/[.;!?\n()]+|\bbut\b|\bhowever\b|\balthough\b|\bthough\b|\bexcept\b|\bapart from\b|\bwhereas\b/)
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
}

/** Reassuring findings that follow a list of denials ("no stridor, no recession, playing normally"). */
const NARROW_NEGATION = new Set(['well_appearing', 'can_bear_weight']);

/** Negation (NegEx-style forward scope with terminators, plus a few trailing cues), history and family scope. */
function scopeOf(raw: string[], used: boolean[], m: Match): 'present' | 'negated' | 'history' | 'family' {
  for (let i = m.start - 1, dist = 1; i >= 0 && dist <= 6; i--, dist++) {
    const w = raw[i]!;
    if (used[i] && NARROW_NEGATION.has(m.id)) break;
    if (used[i]) continue;
    if (
      FAMILY_CUES.has(w) &&
      (raw[i + 1] === 'history' ||
        raw[i + 1] === 'had' ||
        raw[i + 1] === 'has' ||
        w === 'family' ||
        w === 'fhx' ||
        w === 'fh')
    )
      return 'family';
    if (HISTORY_CUES.has(w) && dist <= 4) return 'history';
    if (TERMINATORS.has(w) && dist >= 2 && !NEGATION_CUES.has(raw[i - 1] ?? '')) break;
    if (w === 'non' && dist > 1) continue;
    if (NEGATION_CUES.has(w)) {
      if (NARROW_NEGATION.has(m.id) && dist > 2) continue;
      if (w === 'free' && raw[i + 1] !== 'of') continue;
      if (w === 'no' && raw[i + 1] === 'longer') return 'negated';
      if (
        (w === 'not' || w === 'no') &&
        (raw[i + 1] === 'only' ||
          raw[i + 1] === 'sure' ||
          raw[i + 1] === 'improving' ||
          raw[i + 1] === 'better' ||
          raw[i + 1] === 'relief' ||
          raw[i + 1] === 'improvement' ||
          raw[i + 1] === 'help' ||
          raw[i + 1] === 'helping')
      )
        continue;
      return 'negated';
    }
  }
  for (let i = m.end; i < Math.min(raw.length, m.end + 3); i++) {
    if (used[i]) break;
    if (POST_NEGATION.has(raw[i]!)) return 'negated';
    if (raw[i] === 'not' && (raw[i + 1] === 'present' || raw[i + 1] === 'seen')) return 'negated';
  }
  return 'present';
}

const ABDOMEN = 'abdominal_pain';

/** Token positions within `reach` non-filler words either side of `i`. */
function nearby(tokens: string[], i: number, reach: number): number[] {
  const out: number[] = [];
  for (const step of [-1, 1]) {
    let count = 0;
    for (let j = i + step; j >= 0 && j < tokens.length && count < reach; j += step) {
      out.push(j);
      if (!FILLERS.has(tokens[j]!)) count++;
    }
  }
  return out;
}

/** `unsited`: the finding when the word has no body site nearby ("discharge" alone); resolved later from context. */
/** `sharedSites`: the site word may also belong to another finding ("red eyes ... discharge"). */
type SiteKind = { words: Set<string>; sites: Map<string, string>; unsited?: string; sharedSites?: boolean };

/** "my chest hurts", "pain in my lower right tummy", "knee is swollen": a pain or swelling word near a body site. */
function siteMatches(
  tokens: string[],
  used: boolean[],
  { words, sites, unsited, sharedSites }: SiteKind,
): Match[] {
  const out: Match[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (used[i] || !words.has(tokens[i]!)) continue;
    let sited = false;
    for (const j of nearby(tokens, i, 4)) {
      if (used[j] && !sharedSites) continue;
      const id = sites.get(tokens[j]!);
      if (!id) continue;
      sited = true;
      const located = id === ABDOMEN ? abdominalPosition(tokens, Math.min(i, j), Math.max(i, j)) : id;
      out.push({ id: located, start: Math.min(i, j), end: Math.max(i, j) + 1, kind: 'symptom' });
    }
    if (!sited && unsited) out.push({ id: unsited, start: i, end: i + 1, kind: 'symptom' });
  }
  return out;
}

function abdominalPosition(tokens: string[], from: number, to: number): string {
  const near = tokens.slice(Math.max(0, from - 3), to + 4);
  const has = (w: string) => near.includes(w);
  if (has('right') && (has('lower') || has('bottom') || has('low'))) return 'rlq_pain';
  if (has('left') && (has('lower') || has('bottom') || has('low'))) return 'llq_pain';
  if (has('right') && (has('upper') || has('top'))) return 'ruq_pain';
  if (has('upper') || has('top')) return 'upper_abdominal_pain';
  if (has('lower') || has('bottom') || has('low')) return 'lower_abdominal_pain';
  return ABDOMEN;
}
