import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from './db/unavailable.js';
import { safeErrorMessage } from './logger.js';

export type FetchedJob = { id: string; data: object; retryCount?: number; expireInSeconds?: number };

export type QueueWorkerOptions = {
  /** Jobs of this queue run at once in this process. */
  concurrency: number;
  /** How long an idle worker waits before asking the database again (a local `send` wakes it sooner). */
  pollingIntervalMs: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Works one queue in this process: fetches up to `concurrency` jobs in one statement, runs them at
 * once, refills when half the slots are free, and completes finished jobs in batches. Unlike
 * pg-boss's own `work()` (whose complete/fail are not awaited: an unhandled rejection when the
 * database goes away), every database call here is awaited and a failure only logged: a job whose
 * completion was lost stays `active` until its short expiry, then runs again (handlers are idempotent).
 */
export class QueueWorker {
  #active = 0;
  #stopping = false;
  /** The last fetch filled every free slot: more jobs are probably waiting. */
  #more = false;
  #woken = false;
  #wakeUp: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  readonly #inflight = new Set<Promise<void>>();
  #done: string[] = [];
  #flush: Promise<void> | null = null;

  constructor(
    private readonly boss: PgBoss,
    private readonly name: string,
    private readonly handle: (job: FetchedJob) => Promise<void>,
    private readonly opts: QueueWorkerOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.#loop ??= this.#run();
  }

  /** New work may be due: fetch now instead of at the next poll. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const free = this.opts.concurrency - this.#active;
      // Refill in batches: one fetch per half-emptied pool, not one per finished job.
      if (free > 0 && (!this.#more || this.#active === 0 || free >= this.opts.concurrency / 2)) {
        this.#woken = false;
        const jobs = await this.#fetch(free);
        // Fetched while stopping: they run within the drain time like the others.
        for (const job of jobs) this.#start(job);
        this.#more = jobs.length === free;
        if (this.#stopping) break;
        // Woken during the fetch (a send raced it): look again at once.
        if (this.#woken && !this.#more) continue;
      }
      await this.#idle(this.opts.pollingIntervalMs);
    }
  }

  async #fetch(batchSize: number): Promise<FetchedJob[]> {
    try {
      return (await this.boss.fetch<object>(this.name, { batchSize, includeMetadata: true })) ?? [];
    } catch (err) {
      this.#warn(err, 'job fetch failed');
      await sleep(this.opts.pollingIntervalMs);
      return [];
    }
  }

  /** Until the poll interval passes or `wake()` is called (a wake that came before counts). */
  #idle(ms: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#wakeUp = null;
        self.#woken = false;
        resolve();
      }
      this.#wakeUp = done;
    });
  }

  #start(job: FetchedJob): void {
    this.#active++;
    const run = this.#withExpiry(job).then(
      () => {
        this.#done.push(job.id);
        this.#scheduleFlush();
      },
      async (err) => {
        await this.boss
          .fail(this.name, job.id, { message: safeErrorMessage(err) })
          .catch((e) => this.#warn(e, 'could not record a failed job'));
      },
    );
    const tracked = run.finally(() => {
      this.#active--;
      this.#inflight.delete(tracked);
      if (this.#more) this.wake();
    });
    this.#inflight.add(tracked);
  }

  /** Like pg-boss: a handler that outlives its job's expiry fails (the job is retried). */
  async #withExpiry(job: FetchedJob): Promise<void> {
    const ms = Math.max(1, job.expireInSeconds ?? 60) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`handler exceeded the job's expiry of ${ms} ms`)), ms);
    });
    try {
      await Promise.race([this.handle(job), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  #scheduleFlush(): void {
    if (this.#flush) return;
    this.#flush = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        while (this.#done.length > 0) {
          const ids = this.#done.splice(0, 100);
          await this.boss
            .complete(this.name, ids)
            .catch((err) => this.#warn(err, 'could not record completed jobs'));
        }
      })
      .finally(() => {
        this.#flush = null;
      });
  }

  #warn(err: unknown, msg: string): void {
    if (this.#stopping || isDatabaseUnavailable(err))
      this.log.warn({ queue: this.name, reason: safeErrorMessage(err) }, msg);
    else this.log.error({ err, queue: this.name }, msg);
  }

  /** Stops fetching, waits up to `timeoutMs` for running jobs, and records what finished. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    this.#wakeUp?.();
    await this.#loop;
    const drained = Promise.allSettled([...this.#inflight]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.#inflight.size > 0)
      this.log.warn({ queue: this.name, running: this.#inflight.size }, 'stopped with jobs still running');
    await this.#flush;
    if (this.#done.length > 0) {
      this.#scheduleFlush();
      await this.#flush;
    }
  }
}
