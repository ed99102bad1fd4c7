import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { redactedError, safeErrorMessage } from './logger.js';

/** A job's name and queue policy, typed by its payload. Payloads carry ids; handlers re-read and are idempotent. */
export type JobDef<T> = {
  name: string;
  queue: Omit<PgBoss.Queue, 'name'>;
  /** Phantom field: carries the payload type only. */
  readonly payload?: T;
};

export const defineJob = <T extends object>(
  name: string,
  queue: Omit<PgBoss.Queue, 'name'> = {},
): JobDef<T> => ({
  name,
  queue: { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 300, ...queue },
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

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #handlers = new Map<string, JobRegistration>();
  readonly #log: Logger;

  constructor(boss: PgBoss, log: Logger) {
    this.#boss = boss;
    this.#log = log;
  }

  static create(connectionString: string, log: Logger, opts: { worker: boolean }): JobQueue {
    const boss = new PgBoss({
      connectionString,
      max: 5,
      supervise: opts.worker,
      schedule: opts.worker,
      application_name: 'carebook-jobs',
    });
    boss.on('error', (err) => log.error({ err }, 'job queue error'));
    return new JobQueue(boss, log);
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
    return this.#boss.send(def.name, data, {
      ...(opts.startAfter ? { startAfter: opts.startAfter } : {}),
      ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
      ...(opts.db ? { db: opts.db } : {}),
    });
  }

  /** Worker role: poll every registered queue and start the cron schedules. */
  async startWorkers(pollingIntervalSeconds = 2): Promise<void> {
    for (const reg of this.#handlers.values()) {
      await this.#boss.work(
        reg.def.name,
        { pollingIntervalSeconds, batchSize: 1, includeMetadata: true },
        async (jobs: PgBoss.JobWithMetadata<object>[]) => {
          for (const job of jobs) await this.#run(reg, job);
        },
      );
      if (reg.cron) await this.#boss.schedule(reg.def.name, reg.cron, {}, { tz: 'UTC' });
    }
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

  async stop(): Promise<void> {
    await this.#boss.stop({ graceful: true, timeout: 10_000, wait: true });
  }
}
