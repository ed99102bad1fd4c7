import { z } from 'zod';

/** Money is an integer number of minor units (29900 = INR 299.00) with its ISO currency. Never a float. */
export type Money = { amount: number; currency: string };

export const moneySchema = z.object({
  amount: z.number().int().describe('Minor units (paise, cents)'),
  currency: z.string().length(3).describe('ISO 4217 code'),
});

export const money = (amount: number, currency: string): Money => {
  if (!Number.isSafeInteger(amount)) throw new Error(`money amount must be an integer, got ${amount}`);
  return { amount, currency };
};

/** ISO 4217 minor-unit exponents that are not 2 (the only currency table; messages and pages use it). */
const MINOR_DIGITS: Record<string, number> = {
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  UGX: 0,
  XAF: 0,
  XOF: 0,
  BHD: 3,
  JOD: 3,
  KWD: 3,
  OMR: 3,
  TND: 3,
};

/** `INR 299.00` from 29900 minor units, for messages and pages; integer arithmetic only. */
export function formatMoney(amountMinor: number, currency: string): string {
  const digits = MINOR_DIGITS[currency] ?? 2;
  const sign = amountMinor < 0 ? '-' : '';
  const abs = Math.abs(amountMinor);
  if (digits === 0) return `${currency} ${sign}${abs}`;
  const unit = 10 ** digits;
  return `${currency} ${sign}${Math.trunc(abs / unit)}.${String(abs % unit).padStart(digits, '0')}`;
}
