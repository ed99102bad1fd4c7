import type { Context, Vitals } from './triage.types.js';

/** Lower-case, unify apostrophes and dashes, spell out a few shorthand forms. */
export function normaliseText(raw: string): string {
  return ` ${raw} `
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\u00b0/g, ' degrees ')
    .replace(/\bw\/o\b/g, ' without ')
    .replace(/\bc\/o\b/g, ' complains of ')
    .replace(/\bo\/e\b/g, ' on examination ')
    .replace(/\bh\/o\b/g, ' history of ')
    .replace(/\bs\/p\b/g, ' after ')
    .replace(/\bsp[o0]2\b/g, ' spo2 ')
    .replace(/\s+/g, ' ');
}

type Extracted = { text: string; context: Omit<Context, 'vitals'> & { vitals: Vitals } };

const NUM = '(\\d{1,3}(?:\\.\\d+)?)';
const SEP = '\\s*(?:of|is|was|were|at|to|:|=|-|~|around|about|approx\\.?)?\\s*';

function blank(text: string, re: RegExp, onMatch: (m: RegExpExecArray) => boolean | undefined): string {
  return text.replace(re, (...args) => {
    const m = args.slice(0, -2) as unknown as RegExpExecArray;
    m.index = args[args.length - 2] as number;
    m.input = args[args.length - 1] as string;
    const keep = onMatch(m);
    return keep === false ? (m[0] as string) : ' ; ';
  });
}

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Vital signs written as clinicians write them ("HR 128, BP 84/50, RR 30, SpO2 89%, temp 39.4"). */
function extractVitals(input: string, vitals: Vitals): string {
  let text = input;
  text = blank(
    text,
    new RegExp(
      `\\b(?:bp|blood pressure|b\\.p\\.)(?:${SEP}|[^0-9.;]{0,40}?)(\\d{2,3})\\s*/\\s*(\\d{2,3})(?:\\s*mm\\s*hg)?`,
      'g',
    ),
    (m) => {
      vitals.sbp = num(m[1]);
      vitals.dbp = num(m[2]);
      return true;
    },
  );
  text = blank(text, /\b(\d{2,3})\s*\/\s*(\d{2,3})\s*mm\s*hg/g, (m) => {
    vitals.sbp = num(m[1]);
    vitals.dbp = num(m[2]);
    return true;
  });
  text = blank(
    text,
    new RegExp(
      `\\b(?:hr|heart rate|pulse(?: rate)?|tachycardic|bradycardic|p)${SEP}(\\d{2,3})(?:\\s*(?:bpm|/min|beats))?`,
      'g',
    ),
    (m) => {
      vitals.hr = num(m[1]);
      return true;
    },
  );
  text = blank(text, /\b(\d{2,3})\s*(?:bpm|beats per minute|beats a minute)\b/g, (m) => {
    vitals.hr = num(m[1]);
    return true;
  });
  text = blank(
    text,
    new RegExp(
      `\\b(?:rr|resp(?:iratory)? rate|respirations?|resps|breathing rate|tachypn(?:o)?eic)${SEP}(\\d{1,3})(?:\\s*(?:/min|breaths(?: per| a| /)? ?min(?:ute)?))?`,
      'g',
    ),
    (m) => {
      vitals.rr = num(m[1]);
      return true;
    },
  );
  text = blank(text, /\b(\d{1,3})\s*breaths?\s*(?:per|a|\/)\s*min(?:ute)?\b/g, (m) => {
    vitals.rr = num(m[1]);
    return true;
  });
  text = blank(
    text,
    new RegExp(
      `\\b(?:spo2|sp o2|o2 sat(?:uration)?s?|sats?|saturations?|saturating|oxygen(?: saturation| sats?| level| levels)?|pulse ?ox(?:imetry|imeter)?(?: reading)?)${SEP}(\\d{2,3})\\s*(?:%|percent)?(\\s*(?:on|in) (?:room air|ra|air))?(\\s*on (?:\\d+ ?l|oxygen|o2))?`,
      'g',
    ),
    (m) => {
      const v = num(m[1]);
      if (v === undefined || v > 100 || v < 50) return false;
      vitals.spo2 = v;
      if (m[3]) vitals.onOxygen = true;
      return true;
    },
  );
  text = blank(text, /\b(\d{2})\s*%\s*(?:on|in) (?:room air|ra|air)\b/g, (m) => {
    vitals.spo2 = num(m[1]);
    return true;
  });
  text = blank(
    text,
    new RegExp(
      `\\b(?:temp(?:erature)?|t|fever(?: of)?|pyrexi(?:a|al)(?: to| of)?|febrile(?: to| at)?|spiking|spiked)${SEP}${NUM}\\s*(?:degrees?|deg)?\\s*(c|f|celsius|fahrenheit)?\\b`,
      'g',
    ),
    (m) => {
      const t = toCelsius(num(m[1]), m[2]);
      if (t === undefined) return false;
      vitals.temp = t;
      return true;
    },
  );
  text = blank(text, /\b(\d{2,3}(?:\.\d)?)\s*(?:degrees?\s*)?(c|f|celsius|fahrenheit)\b/g, (m) => {
    const t = toCelsius(num(m[1]), m[2]);
    if (t === undefined) return false;
    vitals.temp = t;
    return true;
  });
  text = blank(text, /\bgcs\s*(?:of|is|was|:|=)?\s*(\d{1,2})(?:\s*\/\s*15)?/g, (m) => {
    vitals.gcs = num(m[1]);
    return true;
  });
  text = blank(
    text,
    new RegExp(
      `\\b(?:capillary refill(?: time)?|crt)${SEP}(?:of\\s*)?(?:>\\s*)?(\\d(?:\\.\\d)?)\\s*(?:s|sec|secs|seconds)\\b`,
      'g',
    ),
    (m) => {
      vitals.crtSeconds = num(m[1]);
      return true;
    },
  );
  text = blank(
    text,
    new RegExp(
      `\\b(?:blood glucose|glucose|cbg|bm|blood sugar|sugar(?: level)?|rbs|grbs)${SEP}${NUM}\\s*(mmol(?:/l)?|mg(?:/dl)?)?`,
      'g',
    ),
    (m) => {
      const v = num(m[1]);
      if (v === undefined) return false;
      const mgdl = m[2]?.startsWith('mg') || (!m[2]?.startsWith('mmol') && v > 35);
      vitals.glucoseMmol = mgdl ? v / 18 : v;
      return true;
    },
  );
  return text;
}

function toCelsius(v: number | undefined, unit: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (unit?.startsWith('f') || (!unit && v >= 93 && v <= 110))
    return Math.round((((v - 32) * 5) / 9) * 10) / 10;
  if (v >= 30 && v <= 45) return v;
  return undefined;
}

const WORD_NUM: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  couple: 2,
  'a couple of': 2,
  few: 3,
  'a few': 3,
  several: 4,
};
const UNIT_DAYS: Record<string, number> = {
  hour: 1 / 24,
  hr: 1 / 24,
  day: 1,
  week: 7,
  wk: 7,
  fortnight: 14,
  month: 30,
  year: 365,
  yr: 365,
};

function unitDays(u: string): number | undefined {
  const key = u.replace(/s$/, '');
  return UNIT_DAYS[key];
}

const COUNT =
  '(\\d{1,3}(?:\\.\\d)?|a couple of|a few|couple of|couple|few|several|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|an|a)';

function count(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const trimmed = s.trim().replace(/ of$/, '');
  return num(trimmed) ?? WORD_NUM[trimmed];
}

const PER_YEAR: Record<string, number> = { day: 365, week: 52, wk: 52, month: 12, year: 1, yr: 1 };

function extractAge(input: string, ctx: Extracted['context']): string {
  let text = input;
  const setAge = (n: number | undefined) => {
    if (n !== undefined && ctx.age === undefined && n >= 0 && n < 120) ctx.age = n;
  };
  text = blank(
    text,
    new RegExp(`\\b${COUNT}[\\s-]*(day|week|wk|month|mo|year|yr)s?[\\s-]*old\\b`, 'g'),
    (m) => {
      const n = count(m[1]);
      const unit = m[2] === 'mo' ? 'month' : (m[2] as string);
      if (n !== undefined) setAge(n / (PER_YEAR[unit] ?? 1));
      return true;
    },
  );
  text = blank(text, /\b(\d{1,3})\s*(?:yo|y\/o|y\.o\.?|yrs?|years?|yr old)\b/g, (m) => {
    setAge(num(m[1]));
    return true;
  });
  text = blank(text, /\b(?:aged?|age of|age:)\s*(\d{1,3})\b/g, (m) => {
    setAge(num(m[1]));
    return true;
  });
  text = blank(
    text,
    /\b(?:i am|i'm|im|he is|she is|he's|she's)\s*(\d{1,2})\b(?!\s*(?:days?|weeks?|months?|hours?|%|kg|cm|times))/g,
    (m) => {
      setAge(num(m[1]));
      return true;
    },
  );
  text = blank(text, /\b(\d{1,3})\s*(m|f)\b(?=\s|,|\.|;|$)/g, (m) => {
    setAge(num(m[1]));
    ctx.sex ??= m[2] === 'm' ? 'male' : 'female';
    return true;
  });
  text = text.replace(/\bin (?:his|her|my|their) (\d)0s\b/g, (_s, d: string) => {
    setAge(Number(d) * 10 + 5);
    return ' ; ';
  });
  if (ctx.age === undefined) {
    if (/\b(?:newborn|new born|neonate|neonatal)\b/.test(text)) ctx.age = 0.02;
    else if (/\b(?:baby|infant|babies)\b/.test(text)) ctx.age = 0.5;
    else if (/\b(?:toddler)\b/.test(text)) ctx.age = 2;
    else if (
      /\b(?:elderly|grandmother|grandfather|grandma|grandpa|granny|nani|dadi|nana|dada ji)\b/.test(text)
    )
      ctx.age = 78;
    else if (
      /\b(?:my (?:son|daughter|child|kid|boy|girl)|child|kid|schoolboy|schoolgirl|little one|paediatric|pediatric)\b/.test(
        text,
      )
    )
      ctx.childHint = true;
  }
  return text;
}

function extractSex(text: string, ctx: Extracted['context']): void {
  if (ctx.sex) return;
  const female =
    /\b(?:woman|women|female|lady|girl|mother|mum|mom|wife|daughter|sister|she|her|pregnant|pregnancy|period|periods|vagina|vaginal|menstrual|grandmother|granny|grandma|aunt|postpartum|miscarriage)\b/;
  const male =
    /\b(?:man|male|gentleman|boy|husband|son|father|dad|brother|he|his|him|testicle|testicles|testis|penis|scrotum|prostate|grandfather|grandpa|uncle)\b/;
  const nounF = /\b(?:woman|female|lady|girl|mother|mum|mom|wife|daughter|grandmother|pregnant)\b/.exec(text);
  const nounM = /\b(?:man|male|gentleman|boy|husband|son|father|dad|grandfather)\b/.exec(text);
  if (nounF && (!nounM || nounF.index < nounM.index)) ctx.sex = 'female';
  else if (nounM) ctx.sex = 'male';
  else if (female.test(text) && !male.test(text)) ctx.sex = 'female';
  else if (male.test(text) && !female.test(text)) ctx.sex = 'male';
}

function extractDuration(input: string, ctx: Extracted['context']): string {
  let best: number | undefined;
  const take = (d: number | undefined) => {
    if (d !== undefined && d >= 0 && (best === undefined || d > best)) best = d;
  };
  let text = input;
  text = blank(
    text,
    new RegExp(
      `\\b(?:for|since|past|last|over|x|from|about|almost|nearly)?\\s*(?:the )?(?:past |last )?${COUNT}[\\s-]*(hour|hr|day|week|wk|fortnight|month|year|yr)s?\\b(?:\\s*(?:ago|now|history|back))?`,
      'g',
    ),
    (m) => {
      const n = count(m[1]);
      const u = unitDays(m[2] as string);
      const event = /^\s*(?:after|post)\b/.test(m.input.slice(m.index + m[0].length));
      if (n !== undefined && u !== undefined && !event) take(n * u);
      return true;
    },
  );
  text = blank(text, /\b(\d{1,2})\/(7|52|12)\b/g, (m) => {
    const n = num(m[1]) ?? 0;
    take(m[2] === '7' ? n : m[2] === '52' ? n * 7 : n * 30);
    return true;
  });
  const phrases: Array<[RegExp, number]> = [
    [/\b(?:since|from) (?:this morning|today|tonight|last night|an hour|a few hours|earlier)\b/, 0.3],
    [
      /\b(?:this morning|today|tonight|last night|an hour ago|few hours|couple of hours|earlier today|just now|minutes ago)\b/,
      0.3,
    ],
    [/\b(?:since yesterday|yesterday)\b/, 1],
    [/\b(?:day before yesterday)\b/, 2],
    [/\b(?:since|from|for|over|all) (?:a |the |last |this |past )?week(?:end)?\b/, 7],
    [/\b(?:since|for|over|past|last) (?:a |the )?month\b/, 30],
    [/\b(?:for|since|over) (?:a |the )?(?:long time|ages|months|years)\b/, 120],
    [/\b(?:a couple of|couple of|few|several) days\b/, 3],
    [/\bweeks\b/, 14],
    [/\bmonths\b/, 60],
  ];
  for (const [re, days] of phrases) {
    if (re.test(text)) {
      take(days);
      text = text.replace(re, ' ');
    }
  }
  if (best !== undefined) ctx.durationDays = Math.round(best * 100) / 100;
  return text;
}

/** "LMP 7 weeks ago": a last period more than 5 weeks back is read as a missed period. */
function markLatePeriod(text: string): string {
  const m = /\b(?:lmp|last (?:menstrual )?period)\b[^.;]{0,25}?(\d{1,2})\s*(weeks?|days?|months?)\b/.exec(
    text,
  );
  if (!m) return text;
  const n = Number(m[1]);
  const days = m[2]!.startsWith('week') ? n * 7 : m[2]!.startsWith('month') ? n * 30 : n;
  return days > 35 ? `${text} ; missed period ; ` : text;
}

/** Reads age, sex, duration and vital signs, and blanks their spans so numbers are not read as symptoms. */
export function extractContext(raw: string): Extracted {
  const context: Extracted['context'] = { vitals: {} };
  let text = normaliseText(raw);
  text = extractVitals(text, context.vitals);
  text = extractAge(text, context);
  extractSex(text, context);
  text = markLatePeriod(text);
  text = extractDuration(text, context);
  return { text, context };
}
