import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import type { AppointmentView } from '../../appointments';
import { clockTime, formatDay } from '../../format';
import { ErrorText, PageTitle, QueryView, RequireRole, Success, useSession } from '../../ui';

type Day = {
  date: string;
  timeZone: string;
  appointments: Array<AppointmentView & { patient: { fullName: string | null } }>;
};

/** The clinician's appointments on one day of their zone (today by the server's clock unless picked). */
export function ClinicianDayPage() {
  const { t } = useTranslation();
  return (
    <RequireRole roles={['clinician']}>
      <section>
        <PageTitle>{t('day.title')}</PageTitle>
        <DayView />
      </section>
    </RequireRole>
  );
}

function DayView() {
  const { t } = useTranslation();
  const [date, setDate] = useState('');
  const day = useQuery({
    queryKey: ['clinician-day', date],
    queryFn: () => api<Day>('GET', `/api/clinician/appointments${date ? `?date=${date}` : ''}`),
    refetchInterval: 60_000,
  });
  return (
    <>
      <div className="filters">
        <label>
          {t('day.date')}
          <input type="date" value={date || day.data?.date || ''} onChange={(e) => setDate(e.target.value)} />
        </label>
      </div>
      <QueryView query={day}>
        {(d) => (
          <>
            <h2>
              {formatDay(`${d.date}T12:00:00Z`, 'UTC')} <span className="muted">({d.timeZone})</span>
            </h2>
            {d.appointments.length === 0 ? (
              <p className="muted empty">{t('day.none')}</p>
            ) : (
              <ul className="list">
                {d.appointments.map((a) => (
                  <DayAppointment key={a.id} a={a} timeZone={d.timeZone} />
                ))}
              </ul>
            )}
          </>
        )}
      </QueryView>
    </>
  );
}

function DayAppointment({ a, timeZone }: { a: Day['appointments'][number]; timeZone: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const s = useSession();
  const [done, setDone] = useState<string | null>(null);
  const finish = useMutation({
    mutationFn: (what: 'complete' | 'no-show') => api('POST', `/api/appointments/${a.id}/${what}`),
    onSuccess: (_r, what) => {
      setDone(what === 'complete' ? t('day.markedCompleted') : t('day.markedNoShow'));
      void client.invalidateQueries({ queryKey: ['clinician-day'] });
    },
  });
  const closable = a.status === 'CONFIRMED' || (a.status === 'NO_SHOW' && a.noShowReview);
  return (
    <li className="card appointment" data-status={a.status}>
      <h3>
        {clockTime(a.startAt, timeZone)}–{clockTime(a.endAt, timeZone)}
      </h3>
      <p>
        {a.mode === 'online' ? t('mode.online') : (a.centre?.name ?? t('mode.in_person'))} ·{' '}
        <span className={`status ${a.status}`}>{t(`status.${a.status}`)}</span>
        {a.noShowReview && <span className="muted"> · {t('day.review')}</span>}
      </p>
      <p>
        {a.patient.fullName ? (
          <strong className="patient-name">{a.patient.fullName}</strong>
        ) : (
          <span className="muted">{t('day.patientRef', { ref: a.patientId.slice(0, 8) })}</span>
        )}
      </p>
      {a.meetLink && a.status === 'CONFIRMED' && s?.user.id === a.clinician?.id && (
        <a href={a.meetLink} target="_blank" rel="noopener">
          {t('appointment.join')}
        </a>
      )}
      {closable && (
        <div className="actions">
          <button type="button" onClick={() => finish.mutate('complete')} disabled={finish.isPending}>
            {t('day.complete')}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => finish.mutate('no-show')}
            disabled={finish.isPending}
          >
            {t('day.noShow')}
          </button>
        </div>
      )}
      {done && <Success>{done}</Success>}
      <ErrorText error={finish.error} />
    </li>
  );
}
