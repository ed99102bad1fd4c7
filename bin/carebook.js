#!/usr/bin/env node
// The CLI: runs the compiled server (rebuilt when a source changed, see build.js); where it cannot
// be built (a read-only install), the TypeScript sources through tsx in this process.
import { ensureServerBuild } from './build.js';

let entry;
try {
  entry = (await ensureServerBuild()).file;
} catch (err) {
  console.warn(`carebook: running from TypeScript sources (could not build: ${err.message})`);
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../src/main.ts', import.meta.url).href;
}
await import(entry);
