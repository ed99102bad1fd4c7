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
