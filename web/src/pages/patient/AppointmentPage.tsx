import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, type Money } from '../../api';
import {
  type AppointmentView,
  CANCELLATION_WINDOW_HOURS,
  changeDeadline,
  googleCalendarHref,
  icsHref,
  useAppointment,
  waitingForLink,
} from '../../appointments';
import { mapLink } from '../../catalog';
import { formatDateTime, formatMoney, myZone } from '../../format';
import { type Slot, SlotDays, useWeekOfSlots } from '../../slots';
import { ErrorText, PageTitle, QueryView, RequireRole, Success } from '../../ui';

export function AppointmentPage() {
  const { id } = useParams();
  const appointment = useAppointment(id);
  return (
    <RequireRole roles={['patient']}>
      <section>
        <QueryView query={appointment}>{(a) => <Details a={a} />}</QueryView>
      </section>
    </RequireRole>
  );
}

function Details({ a }: { a: AppointmentView }) {
  const { t } = useTranslation();
  const [done, setDone] = useState<string | null>(null);
  const theirZone = a.clinicianTimeZone;
  const title = t('appointment.calendarTitle', { name: a.clinician?.fullName ?? '' });
  const upcoming = new Date(a.startAt).getTime() > Date.now();
  const changeable = a.status === 'CONFIRMED' && upcoming && changeDeadline(a).getTime() > Date.now();
  return (
    <>
      <PageTitle>{t('appointment.title', { name: a.clinician?.fullName ?? '' })}</PageTitle>
      {done && <Success>{done}</Success>}
      <div className="card appointment" data-status={a.status}>
        <p className={`status ${a.status}`}>{t(`status.${a.status}`)}</p>
        <p>{a.clinician?.specialization}</p>
        <p>
          <strong>{formatDateTime(a.startAt, myZone())}</strong>
          {theirZone && theirZone !== myZone() && (
            <span className="muted">
              {' '}
              ({t('slots.theirTime', { time: formatDateTime(a.startAt, theirZone) })})
            </span>
          )}
        </p>
        {a.mode === 'online' ? (
          <p>{t('mode.online')}</p>
        ) : (
          a.centre && (
            <address>
              {a.centre.name}
              <br />
              {a.centre.address}, {a.centre.city}
              <br />
              <a href={mapLink(a.centre)} target="_blank" rel="noopener">
                {t('appointment.map')}
              </a>
            </address>
          )
        )}
        {a.meetLink && a.status === 'CONFIRMED' && (
          <p>
            <a className="button meet" href={a.meetLink} target="_blank" rel="noopener">
              {t('appointment.join')}
            </a>
          </p>
        )}
        {waitingForLink(a) && (
          <p className="muted" role="status">
            {t('appointment.linkSoon')}
          </p>
        )}
        {a.payment && (
          <p>
            {formatMoney(a.payment)} ·{' '}
            {t(`payStatus.${a.payment.status}`, { defaultValue: a.payment.status })} ·{' '}
            <Link to={`/appointments/${a.id}/receipt`}>{t('appointment.receipt')}</Link>
          </p>
        )}
        {a.cancelReason && <p className="muted">{a.cancelReason}</p>}
      </div>
      {a.status === 'CONFIRMED' && upcoming && (
        <div className="card">
          <h2>{t('appointment.addToCalendar')}</h2>
          <div className="actions">
            <a
              className="button secondary"
              href={icsHref(a, title, new Date())}
              download={`carebook-${a.id}.ics`}
            >
              {t('appointment.ics')}
            </a>
            <a
              className="button secondary"
              href={googleCalendarHref(a, title)}
              target="_blank"
              rel="noopener"
            >
              {t('appointment.google')}
            </a>
          </div>
        </div>
      )}
      {a.status === 'CONFIRMED' && upcoming && (
        <div className="card">
          <h2>{t('appointment.change')}</h2>
          {changeable ? (
            <>
              <p className="muted rule">
                {t('appointment.changeRule', {
                  hours: CANCELLATION_WINDOW_HOURS,
                  deadline: formatDateTime(changeDeadline(a)),
                })}
              </p>
              <Reschedule a={a} onDone={setDone} />
              <Cancel a={a} onDone={setDone} />
            </>
          ) : (
            <p className="muted rule">{t('appointment.tooLate', { hours: CANCELLATION_WINDOW_HOURS })}</p>
          )}
        </div>
      )}
    </>
  );
}

function Cancel({ a, onDone }: { a: AppointmentView; onDone: (msg: string) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const cancel = useMutation({
    mutationFn: () =>
      api<{ refund: { amount: Money; status: string } | null }>(
        'POST',
        `/api/patient-dashboard/appointments/${a.id}/cancel`,
        {},
      ),
    onSuccess: (res) => {
      setAsking(false);
      onDone(
        res.refund
          ? t('appointment.cancelledRefund', { amount: formatMoney(res.refund.amount) })
          : t('appointment.cancelled'),
      );
      void client.invalidateQueries({ queryKey: ['appointment'] });
      void client.invalidateQueries({ queryKey: ['appointments'] });
    },
  });
  if (!asking)
    return (
      <button type="button" className="danger" onClick={() => setAsking(true)}>
        {t('appointment.cancel')}
      </button>
    );
  return (
    <section className="confirm" aria-labelledby="cancel-q">
      <p id="cancel-q">
        <strong>{t('appointment.cancelQuestion')}</strong>{' '}
        {a.payment ? t('appointment.cancelRefundNote', { amount: formatMoney(a.payment) }) : ''}
      </p>
      <div className="actions">
        <button type="button" className="danger" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
          {cancel.isPending ? t('appointment.cancelling') : t('appointment.cancelYes')}
        </button>
        <button type="button" className="secondary" onClick={() => setAsking(false)}>
          {t('appointment.keep')}
        </button>
      </div>
      <ErrorText error={cancel.error} />
    </section>
  );
}

function Reschedule({ a, onDone }: { a: AppointmentView; onDone: (msg: string) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [slot, setSlot] = useState<Slot | null>(null);
  const slots = useWeekOfSlots(open ? a.clinician?.id : undefined, a.mode);
  const move = useMutation({
    mutationFn: (s: Slot) => api('POST', `/api/appointments/${a.id}/reschedule`, { startAt: s.startAt }),
    onSuccess: (_r, s) => {
      setOpen(false);
      setSlot(null);
      onDone(t('appointment.moved', { time: formatDateTime(s.startAt) }));
      void client.invalidateQueries({ queryKey: ['appointment'] });
      void client.invalidateQueries({ queryKey: ['appointments'] });
      void client.invalidateQueries({ queryKey: ['slots'] });
    },
  });
  if (!open)
    return (
      <button type="button" className="secondary" onClick={() => setOpen(true)}>
        {t('appointment.reschedule')}
      </button>
    );
  return (
    <div className="reschedule">
      <h3>{t('appointment.pickNew')}</h3>
      {slot && (
        <section className="confirm" aria-labelledby="move-q">
          <p id="move-q">{t('appointment.moveQuestion', { time: formatDateTime(slot.startAt) })}</p>
          <div className="actions">
            <button type="button" onClick={() => move.mutate(slot)} disabled={move.isPending}>
              {move.isPending ? t('appointment.moving') : t('appointment.moveYes')}
            </button>
            <button type="button" className="secondary" onClick={() => setSlot(null)}>
              {t('common.back')}
            </button>
          </div>
          <ErrorText error={move.error} />
        </section>
      )}
      <QueryView query={slots}>
        {(d) => (
          <SlotDays
            timeZone={d.timeZone}
            slots={d.slots.filter((s) => s.startAt !== a.startAt)}
            busy={move.isPending}
            chosen={slot?.startAt}
            onChoose={setSlot}
          />
        )}
      </QueryView>
      <button type="button" className="link" onClick={() => setOpen(false)}>
        {t('common.close')}
      </button>
    </div>
  );
}
