#!/usr/bin/env node
// `npm start`: builds the web app and the server when their sources changed, then runs the server
// as plain JavaScript (a second start skips both builds and TypeScript). Arguments go to the CLI.
import { execFileSync } from 'node:child_process';
import { ensureServerBuild, ensureWebBuild, REPO } from './build.js';

ensureWebBuild((args) => execFileSync(process.execPath, args, { stdio: 'inherit', cwd: REPO }));
const { file } = await ensureServerBuild();
// Stack traces (logs, development error replies) name the TypeScript sources.
if (process.env.NODE_ENV !== 'production') process.setSourceMapsEnabled(true);
await import(file);
