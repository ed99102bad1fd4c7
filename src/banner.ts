import type { Config } from './config.js';

export const SANDBOX_IN_PRODUCTION_WARNING =
  'WARNING: ALLOW_SANDBOX_PAYMENTS=true — this production deployment uses the SANDBOX payment gateway: bookings are confirmed without taking any money. Staging only.';

/**
 * What `serve` prints once it listens. Production shows no demo logins and no dev inbox, and says
 * loudly when it runs on the sandbox gateway.
 */
export async function startBanner(
  config: Pick<Config, 'isProduction' | 'http' | 'messaging' | 'payments'>,
  demoLines: () => Promise<string[]>,
): Promise<string[]> {
  const url = config.http.publicUrl;
  const lines = [`Carebook is up: ${url}  (API docs ${url}/docs)`];
  if (config.payments.sandboxAllowedInProduction) lines.push(SANDBOX_IN_PRODUCTION_WARNING);
  if (config.messaging.devInbox) lines.push(`Dev inbox (OTP codes): ${url}/dev/inbox`);
  if (!config.isProduction) lines.push(...(await demoLines()));
  return lines;
}
