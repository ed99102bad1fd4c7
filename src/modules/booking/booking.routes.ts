import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestMetaOf } from '../../platform/audit.js';
import { type AuthGuard, actorOf } from '../../platform/auth.js';
import type { Clock } from '../../platform/clock.js';
import type { Appointment } from './booking.repository.js';
import { effectiveStatus } from './booking.rules.js';
import {
  adminListQuery,
  adminListReply,
  appointmentSchema,
  appointmentViewSchema,
  cancelBody,
  cancelReply,
  clinicianDayQuery,
  clinicianDayReply,
  confirmBody,
  idParams,
  initiateBody,
  initiateReply,
  patientListQuery,
  problems,
  rescheduleBody,
} from './booking.schemas.js';
import type { BookingService } from './booking.service.js';

/** The appointment as a client sees it: a lapsed hold reads as EXPIRED. */
export const appointmentDto = (a: Appointment, now: Date) => ({
  id: a.id,
  status: effectiveStatus(a, now),
  startAt: a.startsAt,
  endAt: a.endsAt,
  mode: a.mode,
  patientId: a.patientId,
  clinicianId: a.clinicianId,
  centreId: a.centreId,
  holdExpiresAt: a.status === 'PENDING_PAYMENT' ? a.holdExpiresAt : null,
  price: { amount: a.priceMinor, currency: a.currency },
  paymentId: a.paymentId,
  source: a.source,
  bookedByUserId: a.bookedByUserId,
  cancelReason: a.cancelReason,
  noShowReview: a.noShowReview,
});

const bearer = [{ bearer: [] }];

export function bookingRoutes(deps: { auth: AuthGuard; clock: Clock; service: BookingService }) {
  const { auth, service, clock } = deps;
  /** A cancellation's reply, whoever cancelled (patient, clinician, admin, or a clinician's absence). */
  const cancelReplyOf = ({
    appointment,
    refund,
  }: Awaited<ReturnType<BookingService['cancelAppointment']>>) => ({
    appointment: appointmentDto(appointment, clock.now()),
    refund: refund
      ? {
          refundId: refund.refundId,
          amount: { amount: refund.amount, currency: appointment.currency },
          status: refund.status,
        }
      : null,
  });
  const routes: FastifyPluginAsyncZod = async (app) => {
    app.post(
      '/api/booking/initiate',
      {
        config: { idempotent: true },
        onRequest: auth.requireRole('patient', 'staff', 'admin'),
        schema: {
          tags: ['booking'],
          summary: 'Hold a slot with a payment (or book it free under a vise plan)',
          description:
            'Patients book for themselves; front desk and admins pass `patientId`. A paid booking is held as PENDING_PAYMENT until `payment.expiresAt`; the same patient asking for the same slot again gets the same hold (200).',
          security: bearer,
          body: initiateBody,
          response: { 200: initiateReply, 201: initiateReply, ...problems(400, 401, 403, 404, 409, 502) },
        },
      },
      async (req, reply) => {
        const { startAt, ...rest } = req.body;
        const r = await service.initiateBooking(actorOf(req), { ...rest, startAt: new Date(startAt) });
        reply.status(r.created ? 201 : 200);
        const payment = r.payment ? { ...r.payment, expiresAt: new Date(r.payment.expiresAt) } : null;
        return { appointment: appointmentDto(r.appointment, clock.now()), payment };
      },
    );

    app.post(
      '/api/booking/confirm',
      {
        onRequest: auth.requireRole('patient', 'staff', 'admin'),
        schema: {
          tags: ['booking'],
          summary: "Confirm a held appointment with the checkout's success callback (verified server-side)",
          description:
            '200 with the confirmed appointment; 202 while the gateway has authorised but not yet captured the money (Razorpay): the appointment is still PENDING_PAYMENT and is confirmed when the capture completes.',
          security: bearer,
          body: confirmBody,
          response: {
            200: z.object({ appointment: appointmentSchema }),
            202: z.object({ appointment: appointmentSchema }),
            ...problems(400, 401, 404, 409),
          },
        },
      },
      async (req, reply) => {
        const { appointment, awaitingCapture } = await service.confirmBooking(actorOf(req), req.body);
        return reply
          .code(awaitingCapture ? 202 : 200)
          .send({ appointment: appointmentDto(appointment, clock.now()) });
      },
    );

    app.post(
      '/api/patient-dashboard/appointments/:id/cancel',
      {
        onRequest: auth.requireRole(),
        schema: {
          tags: ['booking'],
          summary: 'Cancel an appointment (patients: not within the cancellation window) with a full refund',
          security: bearer,
          params: idParams,
          body: cancelBody,
          response: { 200: cancelReply, ...problems(400, 401, 404, 409) },
        },
      },
      async (req) =>
        cancelReplyOf(await service.cancelAppointment(actorOf(req), req.params.id, req.body?.reason)),
    );

    app.post(
      '/api/appointments/:id/reschedule',
      {
        onRequest: auth.requireRole(),
        schema: {
          tags: ['booking'],
          summary: 'Move a confirmed appointment to another free slot of the same clinician',
          security: bearer,
          params: idParams,
          body: rescheduleBody,
          response: { 200: z.object({ appointment: appointmentSchema }), ...problems(400, 401, 404, 409) },
        },
      },
      async (req) => {
        const a = await service.rescheduleAppointment(
          actorOf(req),
          req.params.id,
          new Date(req.body.startAt),
        );
        return { appointment: appointmentDto(a, clock.now()) };
      },
    );

    for (const [path, summary, fn] of [
      [
        'complete',
        'Clinician: mark an appointment that has started as completed',
        service.completeAppointment,
      ],
      ['no-show', 'Clinician: mark an appointment that has started as a no-show', service.markNoShow],
    ] as const)
      app.post(
        `/api/appointments/:id/${path}`,
        {
          onRequest: auth.requireRole('clinician', 'admin'),
          schema: {
            tags: ['booking'],
            summary,
            security: bearer,
            params: idParams,
            response: { 200: z.object({ appointment: appointmentSchema }), ...problems(401, 403, 404, 409) },
          },
        },
        async (req) => ({ appointment: appointmentDto(await fn(actorOf(req), req.params.id), clock.now()) }),
      );

    app.post(
      '/api/admin/appointments/:id/clinician-no-show',
      {
        onRequest: auth.requireRole('admin'),
        schema: {
          tags: ['booking', 'admin'],
          summary:
            'Admin: record that the clinician did not attend (full refund, earning voided, patient told)',
          description:
            'From CONFIRMED or NO_SHOW, after the start: the appointment becomes CANCELLED, what is left of its payment is refunded, the doctor earns nothing. 409 INVALID_APPOINTMENT_STATE otherwise (also when recorded already), 409 APPOINTMENT_NOT_STARTED before the start.',
          security: bearer,
          params: idParams,
          body: cancelBody,
          response: { 200: cancelReply, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (req) =>
        cancelReplyOf(await service.clinicianNoShow(actorOf(req), req.params.id, req.body?.reason)),
    );

    registerDashboards(app, deps);
  };
  return routes;
}

type App = Parameters<FastifyPluginAsyncZod>[0];

function registerDashboards(app: App, { auth, service }: { auth: AuthGuard; service: BookingService }) {
  app.get(
    '/api/patient-dashboard/appointments',
    {
      onRequest: auth.requireRole('patient'),
      schema: {
        tags: ['booking'],
        summary: "The signed-in patient's upcoming or past appointments",
        security: bearer,
        querystring: patientListQuery,
        response: { 200: z.array(appointmentViewSchema), ...problems(400, 401, 403) },
      },
    },
    async (req) => service.listForPatient(actorOf(req), req.query.scope),
  );

  app.get(
    '/api/patient-dashboard/appointments/:id',
    {
      onRequest: auth.requireRole(),
      schema: {
        tags: ['booking'],
        summary: 'One appointment with clinician, centre, payment status and meet link',
        security: bearer,
        params: idParams,
        response: { 200: appointmentViewSchema, ...problems(400, 401, 404) },
      },
    },
    async (req) => service.getVisible(actorOf(req), req.params.id),
  );

  app.get(
    '/api/clinician/appointments',
    {
      onRequest: auth.requireRole('clinician', 'staff', 'admin'),
      schema: {
        tags: ['booking'],
        summary: "A clinician's appointments on one day of their time zone",
        security: bearer,
        querystring: clinicianDayQuery,
        response: { 200: clinicianDayReply, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => service.clinicianDay(actorOf(req), req.query, requestMetaOf(req)),
  );

  app.get(
    '/api/admin/appointments',
    {
      onRequest: auth.requireRole('staff', 'admin'),
      schema: {
        tags: ['booking'],
        summary: 'All appointments, filtered, newest start first, a page at a time (`{items, nextCursor}`)',
        security: bearer,
        querystring: adminListQuery,
        response: { 200: adminListReply, ...problems(400, 401, 403) },
      },
    },
    async (req) => {
      const { from, to, ...rest } = req.query;
      return service.listForAdmin({
        ...rest,
        ...(from ? { from: new Date(from) } : {}),
        ...(to ? { to: new Date(to) } : {}),
      });
    },
  );
}
