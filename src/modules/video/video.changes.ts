import type { Tx } from '../../platform/db/uow.js';
import { Errors } from '../../platform/errors.js';
import type { EventChangeOutcome } from './video.google.js';
import { syncCalendarEventJob } from './video.jobs.js';
import * as repo from './video.repository.js';
import { backoffMs, calendarChangeFor, googleEventId, isUuid, MAX_ATTEMPTS } from './video.rules.js';
import type { VideoDeps } from './video.service.js';
import type { VideoSessionRow } from './video.table.js';

export type RescheduleMeeting = { appointmentId: string; startsAt: Date; endsAt: Date };
type ChangeDeps = Pick<VideoDeps, 'clock' | 'log' | 'uow' | 'google'>;
type SyncJob = { videoSessionId: string; revision: number };

const same = (a: Date, b: Date) => a.getTime() === b.getTime();

/**
 * Reschedule and cancel of a meeting, and the job that makes its Google Calendar event follow them.
 * The row is the truth; the event is brought to it by `video.sync_calendar_event`, outside any
 * transaction, and each change bumps `calendar_revision` so that only the newest job acts.
 */
export function meetingChanges(deps: ChangeDeps) {
  /** Marks the event behind the row (a new revision), and enqueues its job unless the create job will. */
  async function markCalendarBehind(
    tx: Tx,
    row: VideoSessionRow,
    now: Date,
    change: { times?: { scheduledStartAt: Date; scheduledEndAt: Date }; cancelled?: boolean },
    enqueue: boolean,
  ): Promise<void> {
    const revision = row.calendarRevision + 1;
    await repo.markCalendarBehind(tx.db, row.id, { ...change, revision }, now);
    if (enqueue) await tx.enqueue(syncCalendarEventJob, { videoSessionId: row.id, revision });
  }

  /** Records an appointment's new times, in the caller's transaction; the Google event follows by job. */
  async function rescheduleMeeting(tx: Tx, req: RescheduleMeeting): Promise<void> {
    if (!isUuid(req.appointmentId)) throw Errors.validation('appointmentId must be a uuid.');
    if (!(req.endsAt.getTime() > req.startsAt.getTime()))
      throw Errors.validation('A meeting must end after it starts.');
    const row = await repo.findByAppointmentForUpdate(tx.db, req.appointmentId);
    if (!row || row.status === 'CANCELLED') return;
    if (same(row.scheduledStartAt, req.startsAt) && same(row.scheduledEndAt, req.endsAt)) return;
    const now = deps.clock.now();
    const times = { scheduledStartAt: req.startsAt, scheduledEndAt: req.endsAt };
    // Jitsi rooms are timeless; a Google row whose create job has not called Google yet will
    // create the event with these times.
    if (row.provider !== 'GOOGLE_MEET' || (row.status === 'PENDING' && row.attempts === 0)) {
      await repo.moveTimes(tx.db, row.id, times, now);
      return;
    }
    // The event exists (SCHEDULED) or may (a create attempt reached Google; its settle enqueues the move).
    await markCalendarBehind(tx, row, now, { times }, row.status === 'SCHEDULED');
  }

  /** Marks the meeting cancelled (its links stop being shown); a Google event that exists or may exist is deleted by job. */
  async function cancelMeeting(tx: Tx, appointmentId: string): Promise<void> {
    const row = await repo.findByAppointmentForUpdate(tx.db, appointmentId);
    if (!row || row.status === 'CANCELLED') return;
    const now = deps.clock.now();
    if (row.provider === 'GOOGLE_MEET' && (row.status === 'SCHEDULED' || row.attempts > 0))
      await markCalendarBehind(tx, row, now, { cancelled: true }, true);
    else await repo.markCancelled(tx.db, row.id, now);
  }

  /** The `video.sync_calendar_event` job: re-reads the row, calls Google once per revision, records the answer. */
  async function syncCalendarEvent(data: SyncJob): Promise<void> {
    const now = deps.clock.now();
    const claimed = await deps.uow(async (tx) => {
      const row = await repo.findForUpdate(tx.db, data.videoSessionId);
      // Stale (a newer change has its own job) or already settled by an earlier run of this job.
      if (!row || row.calendarRevision !== data.revision || row.calendarSync !== 'PENDING') return null;
      const change = calendarChangeFor(row);
      if (change === 'wait') return null;
      if (change === 'none') {
        await repo.markCalendarSynced(tx.db, row.id, now, false);
        return null;
      }
      await repo.countCalendarAttempt(tx.db, row.id, row.calendarAttempts + 1, now);
      return { row, change };
    });
    if (!claimed) return;
    const { row, change } = claimed;
    const eventId = row.meetingId ?? googleEventId(row.id);
    const outcome: EventChangeOutcome = !deps.google
      ? { kind: 'permanent', error: 'Google Meet is not configured' }
      : change === 'delete'
        ? await deps.google.deleteEvent({ eventId })
        : await deps.google.moveEvent({
            eventId,
            startsAt: row.scheduledStartAt,
            endsAt: row.scheduledEndAt,
          });
    await settleSync(data, change, outcome, now);
  }

  async function settleSync(
    data: SyncJob,
    change: 'move' | 'delete',
    outcome: EventChangeOutcome,
    now: Date,
  ): Promise<void> {
    await deps.uow(async (tx) => {
      const row = await repo.findForUpdate(tx.db, data.videoSessionId);
      if (!row) return;
      // The row changed while this call was in flight, and the call may reach Google after the
      // newer one: the newest state is sent once more, so the last write Google sees is the newest.
      if (row.calendarRevision !== data.revision) {
        await markCalendarBehind(tx, row, now, {}, true);
        return;
      }
      if (row.calendarSync !== 'PENDING') return;
      if (outcome.kind === 'done') {
        await repo.markCalendarSynced(tx.db, row.id, now, true);
      } else if (outcome.kind === 'retryable' && row.calendarAttempts < MAX_ATTEMPTS) {
        await repo.recordError(tx.db, row.id, outcome.error, now);
        await tx.enqueue(syncCalendarEventJob, data, {
          startAfter: new Date(now.getTime() + backoffMs(row.calendarAttempts)),
        });
      } else {
        await repo.markCalendarFailed(tx.db, row.id, outcome.error, now);
        // Ids and the HTTP status only: never the title, names or phone numbers.
        deps.log.warn(
          { videoSessionId: row.id, change, attempts: row.calendarAttempts, error: outcome.error },
          'Google Calendar event change failed for good',
        );
      }
    });
  }

  return { markCalendarBehind, rescheduleMeeting, cancelMeeting, syncCalendarEvent };
}
