import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [p] : [];
  });
}

test('only the billing ledger writes ledger transfers or account totals', () => {
  const writers = sources(root).filter((file) => {
    const text = readFileSync(file, 'utf8');
    return /insert\s+into\s+ledger_(transfers|accounts)|update\s+ledger_accounts|ledgerTransfers\)|ledgerAccounts\)/i.test(
      text,
    );
  });
  expect(writers.map((f) => path.relative(root, f))).toEqual([
    path.join('modules', 'billing', 'billing.ledger.ts'),
  ]);
});
