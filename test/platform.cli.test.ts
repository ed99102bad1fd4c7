import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listeningUrl } from './support/wait.js';

/**
 * The first "Done when", end to end: the real CLI in a child process on a fresh DATA_DIR.
 * One embedded PostgreSQL cluster is created and reused by three starts (each ~8 s on two cores).
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const READY_WITHIN_MS = 60_000;

/** Every process whose command line says it is a postmaster for `dataDir` (read from /proc, not from our code). */
function postmastersFor(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const d = args.indexOf('-D');
    if (d >= 0 && args[d + 1] === dataDir) pids.push(Number(entry));
  }
  return pids;
}

type Cli = { child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> };

describe('carebook serve as a process', () => {
  let root: string;
  let dataDir: string;
  let pgDir: string;
  const started: ChildProcess[] = [];

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'carebook-cli-'));
    // As root the database runs as `postgres`, which must be able to enter this folder (mkdtemp makes it 0700).
    chmodSync(root, 0o755);
    dataDir = path.join(root, 'data');
    pgDir = path.join(dataDir, 'postgres');
  });
  afterAll(() => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of postmastersFor(pgDir)) process.kill(pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  /** Starts `node --import tsx src/main.ts serve` (or another command) with only the environment it needs. */
  async function startCli(command = ['serve']): Promise<Cli> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...command], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
        // A developer's .env must not leak in (a DATABASE_URL there would bypass the embedded database).
        DOTENV_CONFIG_PATH: path.join(root, 'no.env'),
        DOTENV_CONFIG_QUIET: 'true',
      },
    });
    started.push(child);
    let output = '';
    let url: string | undefined;
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      url ??= listeningUrl(output);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return {
      child,
      get url() {
        return url ?? 'http://127.0.0.1:0';
      },
      output: () => output,
      exited,
    };
  }

  /** Polls /readyz until 200; fails with the process's output if it exits or the deadline passes. */
  async function waitReady(cli: Cli): Promise<number> {
    const t0 = Date.now();
    while (Date.now() - t0 < READY_WITHIN_MS) {
      if (cli.child.exitCode !== null)
        throw new Error(`carebook exited (${cli.child.exitCode}):\n${cli.output()}`);
      const status = await fetch(`${cli.url}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`not ready within ${READY_WITHIN_MS} ms:\n${cli.output()}`);
  }

  const demoCounts = async (url: string) => {
    const centres = (await (await fetch(`${url}/api/centres`)).json()) as Array<{ timeZone: string }>;
    const clinicians = (await (await fetch(`${url}/api/clinicians`)).json()) as unknown[];
    return { zones: centres.map((c) => c.timeZone).sort(), clinicians: clinicians.length };
  };
  const DEMO = { zones: ['Asia/Kolkata', 'Europe/London'], clinicians: 6 };

  /** Ctrl-C: exit code 0, and no postmaster (nor its lock) left for this data directory. */
  async function interrupt(cli: Cli) {
    cli.child.kill('SIGINT');
    expect(await cli.exited, cli.output()).toBe(0);
    expect(postmastersFor(pgDir)).toEqual([]);
    expect(existsSync(path.join(pgDir, 'postmaster.pid'))).toBe(false);
  }

  test('first start is ready with demo data within 60 s; Ctrl-C leaves no PostgreSQL behind', async () => {
    const first = await startCli();
    expect(await waitReady(first)).toBeLessThan(READY_WITHIN_MS);
    expect(await demoCounts(first.url)).toEqual(DEMO);
    // The banner follows the listen (it reads each module's demo data), so /readyz can answer first.
    await expect.poll(() => first.output(), { timeout: 30_000 }).toContain('Carebook is up');
    expect(postmastersFor(pgDir)).toHaveLength(1);
    await interrupt(first);
  }, 90_000);

  test('a second start reuses the data; after kill -9 of it, the orphaned PostgreSQL is stopped and the next start comes up', async () => {
    const cluster = statSync(path.join(pgDir, 'PG_VERSION')).ino;
    const second = await startCli();
    await waitReady(second);
    // Same cluster (no new initdb) and the demo data was not seeded again.
    expect(statSync(path.join(pgDir, 'PG_VERSION')).ino).toBe(cluster);
    expect(await demoCounts(second.url)).toEqual(DEMO);

    const [orphan] = postmastersFor(pgDir);
    expect(orphan).toBeGreaterThan(0);
    second.child.kill('SIGKILL');
    await second.exited;
    // The database outlived the app: the state a crash really leaves.
    expect(postmastersFor(pgDir)).toEqual([orphan]);

    const third = await startCli();
    await waitReady(third);
    expect(postmastersFor(pgDir)).not.toContain(orphan);
    expect(postmastersFor(pgDir)).toHaveLength(1);
    expect(await demoCounts(third.url)).toEqual(DEMO);

    // A second command on the same DATA_DIR while this one runs must not take its database away.
    const [running] = postmastersFor(pgDir);
    const migrate = await startCli(['migrate']);
    expect(await migrate.exited).toBe(1);
    expect(migrate.output()).toContain('is in use by another running Carebook');
    expect(postmastersFor(pgDir)).toEqual([running]);
    expect((await fetch(`${third.url}/readyz`)).status).toBe(200);
    await interrupt(third);
  }, 150_000);
});
