import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api';
import type { AppointmentView } from '../../appointments';
import { addDays } from '../../format';
import { PageTitle, RequireRole } from '../../ui';

export const ADMIN_SECTIONS = [
  ['appointments', '/admin/appointments'],
  ['clinicians', '/admin/clinicians'],
  ['centres', '/admin/centres'],
  ['users', '/admin/users'],
  ['payments', '/admin/payments'],
  ['reconciliation', '/admin/reconciliation'],
  ['audit', '/admin/audit'],
  ['ledger', '/admin/ledger'],
  ['frontDesk', '/front-desk'],
] as const;

/** The admin's landing page: where each task lives, with today's numbers. */
export function AdminHome() {
  const { t } = useTranslation();
  return (
    <RequireRole roles={['admin']}>
      <section>
        <PageTitle>{t('admin.title')}</PageTitle>
        <Today />
        <ul className="grid">
          {ADMIN_SECTIONS.map(([key, to]) => (
            <li key={key} className="card">
              <h2>
                <Link to={to}>{t(`admin.${key}`)}</Link>
              </h2>
              <p className="muted">{t(`admin.${key}Help`)}</p>
            </li>
          ))}
        </ul>
      </section>
    </RequireRole>
  );
}

function Today() {
  const { t } = useTranslation();
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  const today = useQuery({
    queryKey: ['admin-today'],
    queryFn: () =>
      api<{ items: AppointmentView[] }>(
        'GET',
        `/api/admin/appointments?from=${encodeURIComponent(start.toISOString())}&to=${encodeURIComponent(addDays(start, 1).toISOString())}&limit=200`,
      ).then((p) => p.items),
  });
  const rec = useQuery({
    queryKey: ['reconciliation'],
    queryFn: () => api<{ mismatches: unknown[] }>('GET', '/api/admin/reconciliation'),
  });
  return (
    <div className="stats" aria-live="polite">
      <p className="card stat">
        <strong>{today.data ? today.data.length : '…'}</strong> {t('admin.todayAppointments')}
      </p>
      <p className="card stat">
        <strong>{rec.data ? rec.data.mismatches.length : '…'}</strong> {t('admin.findings')}
      </p>
    </div>
  );
}
