import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, '..', '..');
const STATUS = '(CREATED|SUCCEEDED|FAILED|EXPIRED|PARTIALLY_REFUNDED|REFUNDED|PENDING|PROCESSED)';

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });

/**
 * A grep-level guard on the payment state machine: a status is written only with what
 * `transition` (payments, refunds: `refundTransition`) in payments.rules.ts returns, through the
 * repository's named methods. Reads and comparisons of statuses are fine anywhere.
 */
describe('payment status writes', () => {
  const files = sources(src).filter((f) => !f.endsWith(path.join('payments', 'payments.rules.ts')));

  test.each([
    ['an object literal sets a status', new RegExp(`\\bstatus:\\s*'${STATUS}'`)],
    ['SQL sets a payment or refund status', /update\s+(payments|refunds)\s+set[^;]*status\s*=/i],
  ])('nowhere outside the transition function: %s', (_what, pattern) => {
    const offenders = files
      .filter(
        (f) =>
          f.includes(`${path.sep}payments${path.sep}`) ||
          /update\s+(payments|refunds)/i.test(readFileSync(f, 'utf8')),
      )
      .filter((f) => pattern.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(src, f));
    expect(offenders).toEqual([]);
  });

  test('the repositories have no generic update(patch)', () => {
    const repo = readFileSync(path.join(src, 'modules', 'payments', 'payments.repository.ts'), 'utf8');
    expect(repo).not.toMatch(/\basync update(Refund)?\(/);
    expect(repo).not.toMatch(/patch: Partial</);
  });
});
