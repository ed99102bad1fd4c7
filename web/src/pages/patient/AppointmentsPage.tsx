import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api';
import { type AppointmentView, waitingForLink } from '../../appointments';
import { formatDateTime, formatMoney } from '../../format';
import { PageTitle, QueryView, RequireRole } from '../../ui';

export function AppointmentsPage() {
  const { t } = useTranslation();
  return (
    <RequireRole roles={['patient']}>
      <section>
        <PageTitle>{t('appointments.title')}</PageTitle>
        <AppointmentList />
      </section>
    </RequireRole>
  );
}

function AppointmentList() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const scope = params.get('scope') === 'past' ? 'past' : 'upcoming';
  const list = useQuery({
    queryKey: ['appointments', scope],
    queryFn: () => api<AppointmentView[]>('GET', `/api/patient-dashboard/appointments?scope=${scope}`),
    refetchInterval: (q) => (q.state.data?.some(waitingForLink) ? 4000 : false),
  });
  return (
    <>
      <fieldset className="tabs">
        <legend className="visually-hidden">{t('appointments.which')}</legend>
        {(['upcoming', 'past'] as const).map((s) => (
          <button
            key={s}
            type="button"
            className={scope === s ? 'active' : 'secondary'}
            aria-pressed={scope === s}
            onClick={() => setParams({ scope: s }, { replace: true })}
          >
            {t(`appointments.${s}`)}
          </button>
        ))}
      </fieldset>
      <QueryView query={list} empty={(l) => l.length === 0} emptyText={t('appointments.none')}>
        {(l) => (
          <ul className="grid">
            {l.map((a) => (
              <li key={a.id} className="card appointment" data-status={a.status}>
                <h2>
                  <Link to={`/appointments/${a.id}`}>
                    {a.clinician?.fullName ?? t('appointments.clinician')}
                  </Link>
                </h2>
                <p>
                  {formatDateTime(a.startAt)} · {a.mode === 'online' ? t('mode.online') : a.centre?.name}
                </p>
                <p className={`status ${a.status}`}>{t(`status.${a.status}`)}</p>
                {a.payment && (
                  <p className="muted">
                    {formatMoney(a.payment)} ·{' '}
                    {t(`payStatus.${a.payment.status}`, { defaultValue: a.payment.status })}
                  </p>
                )}
                {a.meetLink && a.status === 'CONFIRMED' && (
                  <a className="meet" href={a.meetLink} target="_blank" rel="noopener">
                    {t('appointment.join')}
                  </a>
                )}
                {waitingForLink(a) && <p className="muted">{t('appointment.linkSoon')}</p>}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </>
  );
}
