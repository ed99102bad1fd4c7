import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import { problemSchema } from '../../platform/errors.js';
import {
  idParams,
  rulesBody,
  scheduleReply,
  searchQuery,
  searchReply,
  shiftsBody,
  slotsQuery,
  slotsReply,
  timeOffBody,
  timeOffParams,
  timeOffSchema,
} from './scheduling.schemas.js';
import type { SchedulingService } from './scheduling.service.js';

/**
 * Slot replies are built field by field by the service (SlotView), so the hottest read skips the
 * zod re-parse of hundreds of slots; the declared schemas still document the route. A listing
 * arrives as the UTF-8 JSON bytes the listing cache keeps, and Fastify sends a Buffer as it is.
 */
const plainJson = () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data));
const serialized = (json: Buffer) => json as unknown as z.infer<typeof slotsReply>;
const serializedSearch = (json: Buffer) => json as unknown as z.infer<typeof searchReply>;

const problems = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const tags = ['scheduling'];
const security = [{ bearer: [] }];

type Schedule = Awaited<ReturnType<SchedulingService['getSchedule']>>;
const toTimeOff = (t: { id: string; startAt: Date; endAt: Date; reason: string }) => ({
  id: t.id,
  startAt: t.startAt.toISOString(),
  endAt: t.endAt.toISOString(),
  reason: t.reason,
});
const toScheduleReply = (s: Schedule) => ({
  clinicianId: s.clinicianId,
  timeZone: s.timeZone,
  rules: s.rules.map(({ startTime, endTime, ...r }) => ({ ...r, start: startTime, end: endTime })),
  shifts: s.shifts.map(({ startTime, endTime, weekday }) => ({ weekday, start: startTime, end: endTime })),
  timeOff: s.timeOff.map(toTimeOff),
});

export function schedulingRoutes(deps: {
  auth: AuthGuard;
  service: SchedulingService;
}): FastifyPluginAsyncZod {
  const { auth, service } = deps;
  const manage = auth.requireRole('clinician', 'admin');
  return async (app) => {
    app.get(
      '/api/clinicians/:id/slots',
      {
        serializerCompiler: plainJson,
        schema: {
          tags,
          summary: "A clinician's slots with their status; past slots are not listed",
          params: idParams,
          querystring: slotsQuery,
          response: { 200: slotsReply, 400: problemSchema, 404: problemSchema },
        },
      },
      async (req, reply) => {
        reply.type('application/json; charset=utf-8');
        return serialized(await service.listSlotsJson(req.params.id, req.query));
      },
    );

    app.get(
      '/api/slots',
      {
        serializerCompiler: plainJson,
        schema: {
          tags,
          summary: 'Slots on one date across clinicians (by specialization, centre, mode)',
          querystring: searchQuery,
          response: { 200: searchReply, 400: problemSchema },
        },
      },
      async (req, reply) => {
        reply.type('application/json; charset=utf-8');
        return serializedSearch(await service.searchSlotsJson(req.query));
      },
    );

    app.get(
      '/api/clinicians/:id/availability',
      {
        preHandler: manage,
        schema: {
          tags,
          security,
          summary: "The clinician's weekly rules, on-call shifts and upcoming time off",
          params: idParams,
          response: { 200: scheduleReply, ...problems },
        },
      },
      async (req) => {
        await service.assertCanManage(actorOf(req), req.params.id);
        return toScheduleReply(await service.getSchedule(req.params.id));
      },
    );

    app.put(
      '/api/clinicians/:id/availability',
      {
        preHandler: manage,
        schema: {
          tags,
          security,
          summary: 'Replace the weekly availability rules (the clinician or an admin)',
          params: idParams,
          body: rulesBody,
          response: { 200: scheduleReply, ...problems },
        },
      },
      async (req) => {
        const rules = req.body.map(({ start, end, centreId, ...r }) => ({
          ...r,
          startTime: start,
          endTime: end,
          centreId: centreId ?? null,
        }));
        return toScheduleReply(await service.replaceRules(actorOf(req), req.params.id, rules));
      },
    );

    app.put(
      '/api/clinicians/:id/shifts',
      {
        preHandler: manage,
        schema: {
          tags,
          security,
          summary: 'Replace the on-call shifts for on-demand consultations',
          params: idParams,
          body: shiftsBody,
          response: { 200: scheduleReply, ...problems },
        },
      },
      async (req) => {
        const shifts = req.body.map(({ start, end, weekday }) => ({
          weekday,
          startTime: start,
          endTime: end,
        }));
        return toScheduleReply(await service.replaceShifts(actorOf(req), req.params.id, shifts));
      },
    );

    app.post(
      '/api/clinicians/:id/time-off',
      {
        preHandler: manage,
        schema: {
          tags,
          security,
          summary: 'Add time off; overlapping slots stop being offered',
          params: idParams,
          body: timeOffBody,
          response: { 201: timeOffSchema, ...problems },
        },
      },
      async (req, reply) => {
        const saved = await service.addTimeOff(actorOf(req), req.params.id, {
          startAt: new Date(req.body.startAt),
          endAt: new Date(req.body.endAt),
          reason: req.body.reason,
        });
        return reply.status(201).send(toTimeOff(saved));
      },
    );

    app.delete(
      '/api/clinicians/:id/time-off/:timeOffId',
      {
        preHandler: manage,
        schema: {
          tags,
          security,
          summary: 'Remove time off',
          params: timeOffParams,
          response: { 204: z.undefined().describe('Removed'), ...problems },
        },
      },
      async (req, reply) => {
        await service.removeTimeOff(actorOf(req), req.params.id, req.params.timeOffId);
        return reply.status(204).send();
      },
    );
  };
}
