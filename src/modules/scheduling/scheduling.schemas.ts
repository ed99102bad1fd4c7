import { z } from 'zod';
import { boundedDate, boundedInstant } from '../../platform/input.js';
import { moneySchema } from '../../platform/money.js';
import { component } from '../../platform/openapi.js';

const hhmm = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (00:00-23:59)')
  .describe('Wall-clock time in the clinician\'s zone, "HH:MM"');
const weekday = z.number().int().min(1).max(7).describe('ISO weekday: 1 = Monday ... 7 = Sunday');
const localDate = boundedDate().describe("A calendar date in the clinician's zone");
export const modeSchema = z.enum(['online', 'in_person']);

export const idParams = z.object({ id: z.uuid() });
export const timeOffParams = z.object({ id: z.uuid(), timeOffId: z.uuid() });

export const ruleSchema = z.object({
  weekday,
  start: hhmm,
  end: hhmm,
  mode: modeSchema,
  centreId: z.uuid().nullable().optional().describe('Required for in_person, empty for online'),
  slotMinutes: z.number().int().min(5).max(480),
});
export const rulesBody = z.array(ruleSchema).max(100);

export const shiftSchema = z.object({ weekday, start: hhmm, end: hhmm });
export const shiftsBody = z.array(shiftSchema).max(100);

export const timeOffBody = z.object({
  startAt: boundedInstant(),
  endAt: boundedInstant(),
  reason: z.string().trim().max(500).optional(),
});
export const timeOffSchema = z.object({
  id: z.uuid(),
  startAt: z.string(),
  endAt: z.string(),
  reason: z.string(),
});

export const scheduleReply = z.object({
  clinicianId: z.uuid(),
  timeZone: z.string(),
  rules: z.array(ruleSchema.extend({ centreId: z.uuid().nullable() })),
  shifts: z.array(shiftSchema),
  timeOff: z.array(timeOffSchema).describe('Current and future time off'),
});

export const slotSchema = z.object({
  startAt: z.string().describe("ISO 8601 with the clinician's offset"),
  endAt: z.string(),
  mode: modeSchema,
  centreId: z.uuid().nullable(),
  status: z.enum(['available', 'held', 'booked']),
});

export const slotsQuery = z.object({
  from: localDate.optional().describe("First date (default: today in the clinician's zone)"),
  to: localDate.optional().describe('Last date, inclusive (default: from + 6 days; at most 62 days)'),
  mode: modeSchema.optional(),
});
export const slotsReply = z.object({
  clinicianId: z.uuid(),
  timeZone: z.string(),
  from: z.string(),
  to: z.string(),
  slots: z.array(slotSchema),
});

export const searchQuery = z.object({
  date: localDate,
  specialization: z.string().trim().max(100).optional(),
  centreId: z.uuid().optional(),
  mode: modeSchema.optional(),
});
export const searchReply = z.array(
  z.object({
    clinician: z.object({ id: z.uuid(), fullName: z.string(), specialization: z.string(), fee: moneySchema }),
    timeZone: z.string(),
    slots: z.array(slotSchema),
  }),
);

// Shared components of the OpenAPI document (referenced, not inlined).
component('Slot', slotSchema);
component('Schedule', scheduleReply);
component('TimeOff', timeOffSchema);
