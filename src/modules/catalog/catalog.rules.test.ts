import { describe, expect, test } from 'vitest';
import {
  type BookingRule,
  bookingPolicyFor,
  effectivePlan,
  type SubscriptionState,
} from './catalog.rules.js';

const now = new Date('2030-01-07T06:00:00Z');
const later = new Date('2030-02-07T06:00:00Z');
const earlier = new Date('2030-01-01T00:00:00Z');

describe('effectivePlan', () => {
  test.each<[string, SubscriptionState | null, string]>([
    ['no subscription', null, 'none'],
    ['active, open-ended', { planCode: 'vise', status: 'active', periodEnd: null }, 'vise'],
    ['active, period running', { planCode: 'standard', status: 'active', periodEnd: later }, 'standard'],
    ['active, period ended', { planCode: 'standard', status: 'active', periodEnd: earlier }, 'none'],
    ['active, period ends exactly now', { planCode: 'vise', status: 'active', periodEnd: now }, 'none'],
    ['expired', { planCode: 'standard_plus', status: 'expired', periodEnd: later }, 'none'],
    ['cancelled', { planCode: 'vise', status: 'cancelled', periodEnd: null }, 'none'],
  ])('%s -> %s', (_name, sub, expected) => {
    expect(effectivePlan(sub, now)).toBe(expected);
  });
});

describe('bookingPolicyFor', () => {
  test.each<[BookingRule, boolean, boolean, string]>([
    ['pay_or_refuse', false, false, 'pay'],
    ['pay_or_refuse', true, false, 'refuse'],
    ['pay_or_refuse', true, true, 'refuse'],
    ['pay', false, false, 'pay'],
    ['pay', true, true, 'pay'],
    ['free_with_relationship', false, true, 'free'],
    ['free_with_relationship', true, true, 'free'],
    ['free_with_relationship', false, false, 'pay'],
    ['free_with_relationship', true, false, 'pay'],
  ])('rule %s, requirePlan %s, relationship %s -> %s', (rule, requirePlan, hasRelationship, expected) => {
    expect(bookingPolicyFor({ rule, requirePlan, hasRelationship })).toBe(expected);
  });
});
