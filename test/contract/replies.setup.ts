import { afterAll } from 'vitest';
import { contractViolations, recordedReplies } from './replies.js';

/**
 * Runs after every test file: each reply its apps sent must keep the contract of /openapi.json
 * (status declared, media type declared, JSON body matching the schema). See replies.ts.
 */
afterAll(() => {
  const violations = contractViolations();
  recordedReplies().length = 0;
  if (violations.length)
    throw new Error(
      `${violations.length} replies break the OpenAPI contract:\n${[...new Set(violations)].slice(0, 40).join('\n')}`,
    );
});
