import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureServerBuild, ensureWebBuild } from '../bin/build.js';

/** `npm start` compiles the server once and reuses the build until a source changes (issue 12: second start). */
describe('the start command builds only what changed', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'carebook-build-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const write = (rel: string, text: string) => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    // A later modification time than any earlier write, even within the same millisecond.
    const later = new Date(Date.now() + Math.random() * 10_000 + 1_000);
    utimesSync(file, later, later);
  };
  const load = async (file: string, v: number) =>
    (await import(`${pathToFileURL(file).href}?v=${v}`)) as { answer: number; beside: string };

  test('the server: built once, reused, rebuilt after a change; each file keeps its own import.meta.url', async () => {
    write('src/main.ts', `export { answer, beside } from './lib/answer.js';\n`);
    write(
      'src/lib/answer.ts',
      `import { readFileSync } from 'node:fs';\nexport const answer: number = 41;\n` +
        `export const beside = readFileSync(new URL('./data.txt', import.meta.url), 'utf8');\n`,
    );
    write('src/lib/data.txt', 'next to answer.ts');
    const outDir = path.join(root, 'out');

    const first = await ensureServerBuild({ root, outDir });
    expect(first.built).toBe(true);
    expect(await load(first.file, 1)).toMatchObject({ answer: 41, beside: 'next to answer.ts' });
    expect((await ensureServerBuild({ root, outDir })).built).toBe(false);

    write('src/lib/answer.ts', `export const answer: number = 42;\nexport const beside = '';\n`);
    const third = await ensureServerBuild({ root, outDir });
    expect(third.built).toBe(true);
    expect((await load(third.file, 2)).answer).toBe(42);
  });

  test('the web app: built when web/dist is missing or a web source changed, not otherwise', () => {
    write('web/index.html', '<!doctype html>');
    write('web/src/main.tsx', 'export {};');
    const runs: string[][] = [];
    const run = (args: string[]) => {
      runs.push(args);
      write('web/dist/index.html', '<!doctype html>built');
    };
    expect(ensureWebBuild(run, root)).toBe(true);
    expect(ensureWebBuild(run, root)).toBe(false);
    write('web/src/main.tsx', 'export const x = 1;');
    expect(ensureWebBuild(run, root)).toBe(true);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toEqual(expect.arrayContaining(['build', path.join(root, 'web')]));
  });
});
