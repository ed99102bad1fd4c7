import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Db, Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { Platform } from '../../platform/module.js';
import { meetingChanges } from './video.changes.js';
import type { GoogleMeetClient, MeetingOutcome } from './video.google.js';
import { createMeetingJob, syncCalendarEventJob } from './video.jobs.js';
import * as repo from './video.repository.js';
import { backoffMs, isUuid, jitsiRoomName, jitsiUrl, MAX_ATTEMPTS } from './video.rules.js';
import type { VideoSessionRow } from './video.table.js';

export type VideoProvider = 'jitsi' | 'google_meet';
export type MeetingInfo = {
  appointmentId: string;
  provider: VideoProvider;
  joinUrl: string;
  hostUrl: string;
  startsAt: Date;
  endsAt: Date;
  patientUserId: string | null;
  clinicianUserId: string | null;
};
/** Called inside the job's transaction when a meeting is ready (booking sends `meet_link`). */
export type MeetingReadyHandler = (tx: Tx, meeting: MeetingInfo) => Promise<void>;

export type VideoDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'uow' | 'pool'> & {
  google?: GoogleMeetClient;
  onReady: MeetingReadyHandler;
};

export type RequestMeeting = {
  appointmentId: string;
  startsAt: Date;
  endsAt: Date;
  title: string;
  patientUserId: string;
  clinicianUserId: string;
};

const toProvider = (p: VideoSessionRow['provider']): VideoProvider =>
  p === 'GOOGLE_MEET' ? 'google_meet' : 'jitsi';

export function createVideoService(deps: VideoDeps) {
  const useGoogle = deps.config.video.provider === 'google_meet' && Boolean(deps.google);
  const db = drizzle(deps.pool);
  const changes = meetingChanges(deps);

  /** Records the meeting to create, in the caller's transaction; idempotent per appointment. */
  async function requestMeeting(tx: Tx, req: RequestMeeting): Promise<void> {
    const now = deps.clock.now();
    if (!isUuid(req.appointmentId)) throw Errors.validation('appointmentId must be a uuid.');
    if (!(req.endsAt.getTime() > req.startsAt.getTime()))
      throw Errors.validation('A meeting must end after it starts.');
    const title = req.title.trim().slice(0, 200) || 'Carebook consultation';
    const id = await repo.insertIfAbsent(tx.db, {
      appointmentId: req.appointmentId,
      provider: useGoogle ? 'GOOGLE_MEET' : 'JITSI',
      status: 'PENDING',
      title,
      scheduledStartAt: req.startsAt,
      scheduledEndAt: req.endsAt,
      patientUserId: req.patientUserId,
      clinicianUserId: req.clinicianUserId,
      createdAt: now,
      updatedAt: now,
    });
    if (id) await tx.enqueue(createMeetingJob, { videoSessionId: id });
  }

  async function meetingOn(on: Db, appointmentId: string) {
    if (!isUuid(appointmentId)) return null;
    const row = await repo.findByAppointment(on, appointmentId);
    if (!row) return null;
    return {
      provider: toProvider(row.provider),
      joinUrl: row.joinUrl,
      hostUrl: row.hostUrl,
      status: row.status,
    };
  }

  /** The `video.create_meeting` job: re-reads the row, creates the meeting once, and tells booking. */
  async function createMeeting(data: { videoSessionId: string }): Promise<void> {
    const now = deps.clock.now();
    const claimed = await deps.uow(async (tx) => {
      const row = await repo.findForUpdate(tx.db, data.videoSessionId);
      if (row?.status !== 'PENDING') return null;
      if (row.provider === 'JITSI') {
        await scheduleJitsi(tx, row, now);
        return null;
      }
      await repo.update(tx.db, row.id, { attempts: row.attempts + 1, updatedAt: now });
      return { ...row, attempts: row.attempts + 1 };
    });
    if (!claimed) return;
    // Outside any transaction: the event id derived from the row makes a repeated call harmless.
    const outcome: MeetingOutcome = deps.google
      ? await deps.google.createMeeting({
          videoSessionId: claimed.id,
          title: claimed.title,
          startsAt: claimed.scheduledStartAt,
          endsAt: claimed.scheduledEndAt,
        })
      : { kind: 'permanent', error: 'Google Meet is not configured' };
    await settle(claimed.id, outcome, now);
  }

  /** Records the provider's answer: the links, a later retry, or Jitsi in its place. */
  async function settle(id: string, outcome: MeetingOutcome, now: Date): Promise<void> {
    await deps.uow(async (tx) => {
      const row = await repo.findForUpdate(tx.db, id);
      if (!row) return;
      // Cancelled while this call was in flight: an event it may have created must be deleted too.
      if (row.status === 'CANCELLED' && row.provider === 'GOOGLE_MEET' && outcome.kind !== 'permanent')
        await changes.markCalendarBehind(tx, row, now, {}, true);
      if (row.status !== 'PENDING') return;
      if (outcome.kind === 'created') {
        await repo.update(tx.db, row.id, {
          meetingId: outcome.meetingId,
          joinUrl: outcome.joinUrl,
          hostUrl: outcome.joinUrl,
          status: 'SCHEDULED',
          error: null,
          updatedAt: now,
        });
        // Rescheduled after an attempt reached Google: the event may carry older times.
        if (row.calendarSync === 'PENDING')
          await tx.enqueue(syncCalendarEventJob, { videoSessionId: row.id, revision: row.calendarRevision });
        await ready(tx, row, outcome.joinUrl, outcome.joinUrl, 'google_meet');
      } else if (outcome.kind === 'retryable' && row.attempts < MAX_ATTEMPTS) {
        await repo.update(tx.db, row.id, { error: outcome.error, updatedAt: now });
        await tx.enqueue(
          createMeetingJob,
          { videoSessionId: row.id },
          { startAfter: new Date(now.getTime() + backoffMs(row.attempts)) },
        );
      } else {
        // A patient must still get a link: Jitsi needs no account and cannot be refused.
        deps.log.warn({ videoSessionId: row.id, error: outcome.error }, 'Google Meet failed; using Jitsi');
        await scheduleJitsi(tx, { ...row, error: outcome.error }, now);
      }
    });
  }

  async function scheduleJitsi(tx: Tx, row: VideoSessionRow, now: Date) {
    const room = jitsiRoomName(randomBytes(16));
    const url = jitsiUrl(deps.config.video.jitsiBaseUrl, room);
    await repo.update(tx.db, row.id, {
      provider: 'JITSI',
      meetingId: room,
      joinUrl: url,
      hostUrl: url,
      status: 'SCHEDULED',
      error: row.error,
      // A Jitsi room has no calendar event to follow.
      ...(row.calendarSync === 'PENDING' ? { calendarSync: null } : {}),
      updatedAt: now,
    });
    await ready(tx, row, url, url, 'jitsi');
  }

  async function ready(
    tx: Tx,
    row: VideoSessionRow,
    joinUrl: string,
    hostUrl: string,
    provider: VideoProvider,
  ) {
    await deps.onReady(tx, {
      appointmentId: row.appointmentId,
      provider,
      joinUrl,
      hostUrl,
      startsAt: row.scheduledStartAt,
      endsAt: row.scheduledEndAt,
      patientUserId: row.patientUserId,
      clinicianUserId: row.clinicianUserId,
    });
  }

  return {
    requestMeeting,
    findForAppointment: (appointmentId: string) => meetingOn(db, appointmentId),
    /** Reads on the caller's transaction (inside its unit of work). */
    within: (tx: Pick<Tx, 'db'>) => ({
      findForAppointment: (appointmentId: string) => meetingOn(tx.db, appointmentId),
    }),
    rescheduleMeeting: changes.rescheduleMeeting,
    cancelMeeting: changes.cancelMeeting,
    createMeeting,
    syncCalendarEvent: changes.syncCalendarEvent,
  };
}

export type VideoService = ReturnType<typeof createVideoService>;
