/** Pure catalog rules: which plan a patient is on now, and what that plan means for a booking. */

export type PlanCode = 'none' | 'free_trial' | 'standard' | 'standard_plus' | 'vise';
export type BookingRule = 'pay_or_refuse' | 'pay' | 'free_with_relationship';
export type BookingPolicy = 'pay' | 'free' | 'refuse';

export type SubscriptionState = {
  planCode: PlanCode;
  status: 'active' | 'expired' | 'cancelled';
  periodEnd: Date | null;
};

/** A subscription counts only while active and inside its period; otherwise the patient is on `none`. */
export function effectivePlan(sub: SubscriptionState | null, now: Date): PlanCode {
  if (sub?.status !== 'active') return 'none';
  if (sub.periodEnd && sub.periodEnd.getTime() <= now.getTime()) return 'none';
  return sub.planCode;
}

/**
 * Seed 001 as architecture.md settles it: `none` pays per booking, or is refused where the
 * deployment requires a plan; `vise` is free with an existing doctor–patient relationship and pays
 * otherwise; every other plan pays.
 */
export function bookingPolicyFor(input: {
  rule: BookingRule;
  requirePlan: boolean;
  hasRelationship: boolean;
}): BookingPolicy {
  switch (input.rule) {
    case 'pay_or_refuse':
      return input.requirePlan ? 'refuse' : 'pay';
    case 'free_with_relationship':
      return input.hasRelationship ? 'free' : 'pay';
    case 'pay':
      return 'pay';
  }
}
