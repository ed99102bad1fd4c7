/** Pure billing rules. */

export type CreditUnit = 'text' | 'call';
export const unitCurrency = (unit: CreditUnit) => (unit === 'text' ? 'CREDIT_TEXT' : 'CREDIT_CALL');

/** A paid fee split between the doctor and the platform; the fee is rounded down, so the doctor never loses a paisa to rounding. */
export function splitFee(amountMinor: number, feePercent: number): { doctor: number; platform: number } {
  const platform = Math.floor((amountMinor * feePercent) / 100);
  return { doctor: amountMinor - platform, platform };
}

/** A subscription's credits can pay for a block due at `at` only inside its period. */
export const coversInstant = (sub: { periodStart: Date | null; periodEnd: Date | null }, at: Date) =>
  sub.periodStart !== null &&
  sub.periodEnd !== null &&
  sub.periodStart.getTime() <= at.getTime() &&
  at.getTime() < sub.periodEnd.getTime();

export const addDays = (d: Date, days: number) => new Date(d.getTime() + days * 86_400_000);

/** Trial balance rows fold to one total per currency; each must be zero (money.md 1). */
export function totalsByCurrency(rows: Array<{ currency: string; posted: number; pending: number }>) {
  const totals = new Map<string, { posted: number; pending: number }>();
  for (const r of rows) {
    const t = totals.get(r.currency) ?? { posted: 0, pending: 0 };
    t.posted += r.posted;
    t.pending += r.pending;
    totals.set(r.currency, t);
  }
  return [...totals].map(([currency, t]) => ({ currency, ...t }));
}
