import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until `read()` returns what `done` accepts, polling every `everyMs`, and fails with the last
 * value once `withinMs` has passed. For conditions another process or connection brings about.
 */
export async function waitFor<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  opts: { withinMs?: number; everyMs?: number; what?: string } = {},
): Promise<T> {
  const until = performance.now() + (opts.withinMs ?? 5_000);
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() >= until)
      throw new Error(`timed out waiting for ${opts.what ?? 'a condition'}; last value: ${String(value)}`);
    await sleep(opts.everyMs ?? 10);
  }
}

/** Lets callbacks already queued (promise continuations, I/O callbacks) run before the test goes on. */
export const settle = () => nextTurn();

/**
 * The address a spawned Carebook listens on, read from its log ("Server listening at ..."), or
 * undefined until it says so. Spawned servers get PORT=0: a port picked free beforehand can be
 * taken (or answered by another test's server) before the child listens on it.
 */
export function listeningUrl(output: string): string | undefined {
  return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
}
