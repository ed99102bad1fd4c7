import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Clock } from './clock.js';
import type { PgListener } from './db/listener.js';
import type { Pool } from './db/pool.js';
import type { UnitOfWork } from './db/uow.js';
import type { JobQueue, JobRegistration } from './jobs.js';
import type { Metrics } from './metrics.js';

/** What every module may depend on; modules narrow it with Pick<>. */
export type Platform = {
  config: Config;
  clock: Clock;
  log: Logger;
  /** Single statements and reads outside transactions. */
  pool: Pool;
  uow: UnitOfWork;
  /** LISTEN/NOTIFY across instances. */
  listener: PgListener;
  jobs: JobQueue;
  metrics: Metrics;
};

/** A module's public face to the composition root. */
export type AppModule = {
  name: string;
  routes?: FastifyPluginAsyncZod;
  jobs?: JobRegistration[];
  /** Adds this module's demo data; runs once, on an empty database, in module order. */
  seedDemo?: () => Promise<void>;
  /** Lines printed at start-up about this module's demo data (phone numbers to log in with, ...). */
  describeDemo?: () => Promise<string[]>;
  /** Releases what the module holds (listeners, connections); runs at shutdown. */
  close?: () => Promise<void>;
};
