/**
 * `npx tsx bench/cpu-profile.ts FILE.cpuprofile [--top=N] [--callers=FUNCTION] [--inclusive]
 * [--timeline] [--window=FROM,TO]`: where a V8 CPU profile (written by
 * `BENCH_CPU_PROF=1 npm run bench`) spends its time — self time summed per function and per source
 * file or package, sorted. Positions in a compiled bundle are mapped back to the TypeScript and
 * package sources through the bundle's linked source map (node:module's SourceMap). `--callers=is`
 * shows instead the stacks under which functions of that name ran (inclusive time).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/**
 * Self time per node, from the samples taken between `window` seconds after the profile started
 * (the whole profile without it); `--timeline` prints the busy share of each second to choose one.
 */
function selfTimes(profile: Profile, window?: [number, number]): Map<number, number> {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const selfUs = new Map<number, number>();
  const busy: number[] = [];
  let t = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    const second = Math.floor(t / 1e6);
    if (!idle.has(id)) busy[second] = (busy[second] ?? 0) + dt;
    if (window && (t < window[0] * 1e6 || t >= window[1] * 1e6)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  });
  if (args.includes('--timeline'))
    console.log(
      `busy share per second: ${Array.from(busy, (us, s) => `${s}:${Math.round((us ?? 0) / 1e4)}%`).join(' ')}`,
    );
  return selfUs;
}

const maps = new Map<string, SourceMap | null>();
function sourceMapOf(url: string): SourceMap | null {
  if (!maps.has(url)) {
    let map: SourceMap | null = null;
    if (url.startsWith('file://')) {
      const file = `${fileURLToPath(url)}.map`;
      if (existsSync(file)) map = new SourceMap(JSON.parse(readFileSync(file, 'utf8')));
    }
    maps.set(url, map);
  }
  return maps.get(url)!;
}

/** "package" for anything under node_modules, else the path from src/ or bench/ on. */
function area(source: string): string {
  const nm = source.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = source.slice(nm + 'node_modules/'.length).split('/');
    // Some packages map to their own `src/` (drizzle-orm's maps are relative to the package).
    if (rest[0] === 'src') return `(a package's src/${rest.slice(1).join('/')})`;
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /(?:^|\/)((?:src|bench|test)\/.*)$/.exec(source);
  return m ? m[1]! : source || '(native)';
}

function place(frame: CallFrame): { source: string; line: number } {
  const map = frame.url ? sourceMapOf(frame.url) : null;
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
    | { originalSource?: string; originalLine?: number }
    | undefined;
  if (entry?.originalSource) return { source: entry.originalSource, line: (entry.originalLine ?? 0) + 1 };
  return { source: frame.url, line: frame.lineNumber + 1 };
}

const label = (frame: CallFrame) => {
  const { source, line } = place(frame);
  return `${frame.functionName || '(anonymous)'}  ${area(source)}${source ? `:${line}` : ''}`;
};

/** The call stacks (innermost first, `depth` frames) under which functions named `name` spent time. */
function callers(profile: Profile, selfUs: Map<number, number>, name: string, depth: number) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Inclusive time: every sample counts for the node and all its ancestors.
  const stacks = new Map<string, number>();
  for (const [id, us] of selfUs) {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (byId.get(at)!.callFrame.functionName !== name) continue;
      const chain: string[] = [];
      for (let up: number | undefined = at; up !== undefined && chain.length < depth; up = parent.get(up))
        chain.push(label(byId.get(up)!.callFrame));
      const key = chain.join('\n      <- ');
      stacks.set(key, (stacks.get(key) ?? 0) + us);
      break;
    }
  }
  return stacks;
}

/** Time with each function anywhere on the stack (a recursive function counted once per sample). */
function inclusive(profile: Profile, selfUs: Map<number, number>) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      seen.add(label(byId.get(at)!.callFrame));
    for (const name of seen) out.set(name, (out.get(name) ?? 0) + us);
  }
  return out;
}

function summarize(file: string, top: number, callersOf?: string) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const window = args
    .find((a) => a.startsWith('--window='))
    ?.slice(9)
    .split(',')
    .map(Number);
  const selfUs = selfTimes(profile, window as [number, number] | undefined);
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const perFunction = new Map<string, number>();
  const perArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const where = area(place(frame).source);
    const name = label(frame);
    perFunction.set(name, (perFunction.get(name) ?? 0) + us);
    perArea.set(where, (perArea.get(where) ?? 0) + us);
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(
        `${((100 * us) / total).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
      );
  };
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
  if (callersOf)
    return print(
      `time inside ${callersOf}, by caller`,
      callers(profile, selfUs, callersOf, Number(args.find((a) => a.startsWith('--depth='))?.slice(8) ?? 8)),
    );
  print('self time by file or package', perArea);
  print('self time by function', perFunction);
  if (args.includes('--inclusive')) print('inclusive time by function', inclusive(profile, selfUs));
}

const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 40);
const callersOf = args.find((a) => a.startsWith('--callers='))?.slice(10);
for (const file of args.filter((a) => !a.startsWith('--'))) summarize(file, top, callersOf);
