/**
 * The chaos run's cluster: one PostgreSQL (embedded, fixed port, owned by this process like a managed
 * database), two `--role=api` instances and one `--role=worker` on it, behind a small round-robin TCP
 * load balancer on loopback. Processes can be killed with SIGKILL and restarted; one that exits
 * without being told to is recorded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/platform/db/embedded.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type Role = 'api' | 'worker';
export type Instance = {
  name: string;
  role: Role;
  port: number;
  child: ChildProcess | null;
  /** True while we expect it to be down (killed by us, being restarted). */
  expectedDown: boolean;
  log: string[];
};

export type Cluster = {
  instances: Instance[];
  lbUrl: string;
  unexpectedExits: string[];
  start(inst: Instance): Promise<void>;
  kill(inst: Instance): Promise<void>;
  stopAll(): Promise<void>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(env: Record<string, string>): Promise<Cluster> {
  const unexpectedExits: string[] = [];
  const lbPort = await freePort();
  const mk = async (name: string, role: Role): Promise<Instance> => ({
    name,
    role,
    port: await freePort(),
    child: null,
    expectedDown: false,
    log: [],
  });
  const instances = [await mk('api-1', 'api'), await mk('api-2', 'api'), await mk('worker', 'worker')];
  const apis = instances.filter((i) => i.role === 'api');

  // Round robin over the API instances; a refused connection tries the next one.
  let next = 0;
  const lb = net.createServer((socket) => {
    socket.on('error', () => {});
    const tryConnect = (attempt: number) => {
      const inst = apis[next++ % apis.length]!;
      const upstream = net.connect(inst.port, '127.0.0.1');
      upstream.once('connect', () => {
        socket.pipe(upstream).pipe(socket);
      });
      upstream.on('error', () => {
        if (attempt < apis.length * 2 && !upstream.readableEnded && upstream.bytesWritten === 0)
          setTimeout(() => tryConnect(attempt + 1), 50);
        else socket.destroy();
      });
      socket.once('close', () => upstream.destroy());
    };
    tryConnect(0);
  });
  await new Promise<void>((r) => lb.listen(lbPort, '127.0.0.1', r));
  const lbUrl = `http://127.0.0.1:${lbPort}`;

  async function start(inst: Instance) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'serve', `--role=${inst.role}`],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
        // The worker says it is ready only at info level ('job workers started').
        env: {
          ...env,
          PORT: String(inst.port),
          PUBLIC_URL: lbUrl,
          ...(inst.role === 'worker' ? { LOG_LEVEL: 'info' } : {}),
        },
      },
    );
    inst.child = child;
    // Whole lines only: a pipe chunk can end mid-line, and a line split in two would hide the
    // worker's readiness message.
    let workersStarted = false;
    const keep = (line: string) => {
      if (!line) return;
      if (line.includes('job workers started')) workersStarted = true;
      inst.log.push(line);
      if (inst.log.length > 2000) inst.log.splice(0, inst.log.length - 2000);
    };
    readline.createInterface({ input: child.stdout! }).on('line', keep);
    readline.createInterface({ input: child.stderr! }).on('line', keep);
    child.on('exit', (code, signal) => {
      if (!inst.expectedDown)
        unexpectedExits.push(`${inst.name} exited by itself (code ${code}, signal ${signal})`);
    });
    const t0 = Date.now();
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${inst.name} did not start`);
      if (Date.now() - t0 > 120_000) throw new Error(`${inst.name} was not ready within 120 s`);
      const ready =
        inst.role === 'worker'
          ? workersStarted
          : await fetch(`http://127.0.0.1:${inst.port}/readyz`).then(
              (r) => r.status === 200,
              () => false,
            );
      if (ready) break;
      await sleep(250);
    }
    inst.expectedDown = false;
  }

  async function kill(inst: Instance) {
    inst.expectedDown = true;
    const child = inst.child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  async function stopAll() {
    await Promise.all(
      instances.map(async (inst) => {
        inst.expectedDown = true;
        const child = inst.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await gone;
        clearTimeout(t);
      }),
    );
    lb.close();
  }

  return { instances, lbUrl, unexpectedExits, start, kill, stopAll };
}
