import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from './db/unavailable.js';
import { QueueWorker } from './jobs.worker.js';
import { redactedError, safeErrorMessage } from './logger.js';

/** A job's name and queue policy, typed by its payload. Payloads carry ids; handlers re-read and are idempotent. */
export type JobDef<T> = {
  name: string;
  queue: Omit<PgBoss.Queue, 'name'>;
  /** Phantom field: carries the payload type only. */
  readonly payload?: T;
};

const DEFAULT_EXPIRE_SECONDS = 30;

export const defineJob = <T extends object>(
  name: string,
  queue: Omit<PgBoss.Queue, 'name'> = {},
): JobDef<T> => ({
  name,
  // Most jobs are a few queries and at most one provider call: a job held by a killed process is
  // retried after this many seconds. Long jobs (a reconcile sweep) say so in their own options.
  queue: {
    retryLimit: 5,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: DEFAULT_EXPIRE_SECONDS,
    ...queue,
  },
});

export type JobContext = { id: string; retryCount: number };
export type JobHandler<T> = (data: T, ctx: JobContext) => Promise<void>;

/** A handler for a job, optionally run on a cron schedule (UTC) by the worker role. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds jobs of every payload type
export type JobRegistration<T extends object = any> = {
  def: JobDef<T>;
  handler: JobHandler<T>;
  cron?: string;
};
export const registerJob = <T extends object>(
  def: JobDef<T>,
  handler: JobHandler<T>,
  cron?: string,
): JobRegistration<T> => ({ def, handler, cron });

export type SendOptions = { startAfter?: Date; singletonKey?: string; db?: PgBoss.Db };

export const DEAD_LETTER_QUEUE = 'platform.dead-letter';

export type WorkerOptions = {
  /** Jobs of one queue run at once in this process (default 50, JOB_CONCURRENCY). */
  concurrency?: number;
  /** An idle queue asks the database this often (default 0.5 s); a `send` in this process wakes it at once. */
  pollingIntervalSeconds?: number;
  /** How often jobs held past their expiry (a killed worker's) are put back for a retry (default 5 s). */
  expireCheckSeconds?: number;
};

/**
 * One fetch statement brings at most this many jobs of a queue, and a no-op job costs about a fetch
 * and a completion divided by the batch: throughput grows with it (bench: ~200 jobs/s at 10, ~1,400
 * at 50 on two loaded cores). Handlers wait for pool connections like any request, so 50 short
 * jobs at once are cheap; JOB_CONCURRENCY lowers it for every queue.
 */
export const DEFAULT_CONCURRENCY = 50;

/** How long a stop waits for running jobs before leaving them to their expiry. */
const DRAIN_MS = 5_000;

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #handlers = new Map<string, JobRegistration>();
  readonly #log: Logger;
  readonly #workers = new Map<string, QueueWorker>();
  #expiryTimer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(boss: PgBoss, log: Logger) {
    this.#boss = boss;
    this.#log = log;
    boss.on('error', (err) => this.#onBossError(err));
  }

  static create(connectionString: string, log: Logger, opts: { worker: boolean; max?: number }): JobQueue {
    const boss = new PgBoss({
      connectionString,
      max: opts.max ?? 10,
      supervise: opts.worker,
      schedule: opts.worker,
      application_name: 'carebook-jobs',
    });
    return new JobQueue(boss, log);
  }

  /**
   * pg-boss's own timers (maintenance, cron, clock skew) report here. While PostgreSQL restarts or
   * after we began to stop, that is expected and retried by the timers themselves: a warning, no stack.
   */
  #onBossError(err: unknown): void {
    if (this.#stopping) this.#log.debug({ reason: safeErrorMessage(err) }, 'job queue error while stopping');
    else if (isDatabaseUnavailable(err))
      this.#log.warn({ reason: safeErrorMessage(err) }, 'job queue: database unavailable');
    else this.#log.error({ err }, 'job queue error');
  }

  async start(): Promise<void> {
    await this.#boss.start();
    await this.#ensureQueue(DEAD_LETTER_QUEUE, {});
  }

  /** Creates the queues of these jobs (idempotent) and remembers their handlers. */
  async register(regs: JobRegistration[]): Promise<void> {
    for (const reg of regs) {
      this.#handlers.set(reg.def.name, reg);
      await this.#ensureQueue(reg.def.name, { deadLetter: DEAD_LETTER_QUEUE, ...reg.def.queue });
    }
  }

  async #ensureQueue(name: string, queue: Omit<PgBoss.Queue, 'name'>): Promise<void> {
    if (await this.#boss.getQueue(name)) return;
    // Two instances starting together may both try; the loser's unique violation is harmless.
    await this.#boss.createQueue(name, { name, ...queue }).catch(async (err) => {
      if (!(await this.#boss.getQueue(name))) throw err;
    });
  }

  /** Enqueue a job; pass `db` (a unit of work's `enqueue` does) to commit or roll back with that transaction. */
  async send<T extends object>(def: JobDef<T>, data: T, opts: SendOptions = {}): Promise<string | null> {
    const id = await this.#boss.send(def.name, data, {
      ...(opts.startAfter ? { startAfter: opts.startAfter } : {}),
      ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
      ...(opts.db ? { db: opts.db } : {}),
    });
    // Inside a transaction the job is invisible until COMMIT: the unit of work wakes after it.
    if (id && !opts.db && isDue(opts.startAfter)) this.wake(def.name);
    return id;
  }

  /**
   * The statement `send` would run for this job, not run: for a caller that writes the job in one
   * of its own statements (a data-modifying CTE inside its transaction), sparing a round trip. It
   * comes from pg-boss itself (its `db` option), so it follows pg-boss's table layout. The job is
   * visible at the caller's COMMIT; nothing wakes a worker (for jobs that start later).
   */
  async sendStatement<T extends object>(
    def: JobDef<T>,
    data: T,
    opts: Omit<SendOptions, 'db'> = {},
  ): Promise<{ text: string; values: unknown[] }> {
    let statement: { text: string; values: unknown[] } | undefined;
    const capture: PgBoss.Db = {
      executeSql: async (text: string, values: unknown[]) => {
        if (statement) throw new Error('pg-boss sent more than one statement for a job');
        statement = { text, values };
        return { rows: [{ id: '00000000-0000-0000-0000-000000000000' }] };
      },
    };
    await this.send(def, data, { ...opts, db: capture });
    if (!statement) throw new Error('pg-boss sent no statement for a job');
    return statement;
  }

  /** A job of this queue is due: this process's worker fetches now instead of at its next poll. */
  wake(name: string, startAfter?: Date): void {
    if (isDue(startAfter)) this.#workers.get(name)?.wake();
  }

  /** Worker role: work every registered queue and start the cron schedules. */
  async startWorkers(opts: WorkerOptions = {}): Promise<void> {
    const pollingIntervalMs = (opts.pollingIntervalSeconds ?? 0.5) * 1000;
    for (const reg of this.#handlers.values()) {
      if (this.#workers.has(reg.def.name)) continue;
      const worker = new QueueWorker(
        this.#boss,
        reg.def.name,
        (job) => this.#run(reg, job),
        { concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY, pollingIntervalMs },
        this.#log,
      );
      this.#workers.set(reg.def.name, worker);
      worker.start();
      if (reg.cron) await this.#boss.schedule(reg.def.name, reg.cron, {}, { tz: 'UTC' });
    }
    // pg-boss expires jobs only in its maintenance run (every 2 minutes); a killed worker's jobs
    // should come back within seconds. The statement takes an advisory lock: one instance at a time.
    this.#expiryTimer ??= setInterval(
      () =>
        void this.#boss.expire().then(
          // What it put back is due now: look without waiting for the next poll.
          () => {
            for (const w of this.#workers.values()) w.wake();
          },
          (err) => this.#onBossError(err),
        ),
      (opts.expireCheckSeconds ?? 5) * 1000,
    );
  }

  async #run(reg: JobRegistration, job: { id: string; data: object; retryCount?: number }): Promise<void> {
    try {
      await reg.handler(job.data, { id: job.id, retryCount: job.retryCount ?? 0 });
    } catch (err) {
      this.#log.warn({ err, job: reg.def.name, jobId: job.id }, 'job failed');
      // pg-boss stores the thrown error in the job row (and its dead letter): only the redacted copy.
      throw redactedError(err);
    }
  }

  /**
   * Runs queued jobs in this process until none are left, ignoring their start time when asked.
   * Used by tests and by `carebook jobs run`; the same handlers and the same pg-boss rows as the workers.
   */
  async runPending(
    opts: { names?: string[]; ignoreStartAfter?: boolean; maxRounds?: number } = {},
  ): Promise<number> {
    const names = opts.names ?? [...this.#handlers.keys()];
    let ran = 0;
    for (let round = 0; round < (opts.maxRounds ?? 20); round++) {
      let progressed = false;
      for (const name of names) {
        const reg = this.#handlers.get(name);
        if (!reg) throw new Error(`no handler registered for job ${name}`);
        const jobs = await this.#boss.fetch<object>(name, {
          batchSize: 50,
          includeMetadata: true,
          ignoreStartAfter: opts.ignoreStartAfter ?? false,
        });
        for (const job of jobs ?? []) {
          progressed = true;
          ran++;
          try {
            await this.#run(reg, job);
            await this.#boss.complete(name, job.id);
          } catch (err) {
            await this.#boss.fail(name, job.id, { message: safeErrorMessage(err) });
          }
        }
      }
      if (!progressed) break;
    }
    return ran;
  }

  /**
   * Stops fetching, gives running jobs a few seconds, then closes pg-boss. Bounded: a database
   * that went away (or was restarted under us) cannot hold the process open.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#expiryTimer) clearInterval(this.#expiryTimer);
    this.#expiryTimer = null;
    await Promise.all([...this.#workers.values()].map((w) => w.stop(DRAIN_MS)));
    await withTimeout(this.#boss.stop({ graceful: false, wait: true }), DRAIN_MS, () =>
      this.#log.warn('job queue did not close in time; leaving it'),
    );
  }
}

const isDue = (startAfter?: Date) => !startAfter || startAfter.getTime() <= Date.now();

async function withTimeout(p: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const result = await Promise.race([p.catch(() => undefined), late]);
  clearTimeout(timer);
  if (result === 'late') onTimeout();
}
