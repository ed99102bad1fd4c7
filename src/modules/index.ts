import type { AppModule, Platform } from '../platform/module.js';

/**
 * The composition root of the domain: builds every module in dependency order and hands each
 * the services it needs from the ones before it.
 */
export function createModules(_platform: Platform): AppModule[] {
  return [];
}
