import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Navigate } from 'react-router';
import { ApiError, api, formatMoney, formatTime, type Money } from '../api';
import { useSession } from '../Layout';

type Appointment = {
  id: string;
  status: string;
  startAt: string;
  mode: string;
  clinician: { fullName: string; specialization: string };
  centre: { name: string; address: string } | null;
  payment: ({ status: string } & Money) | null;
  meetLink: string | null;
};

export function AppointmentsPage() {
  const s = useSession();
  const [scope, setScope] = useState<'upcoming' | 'past'>('upcoming');
  const [error, setError] = useState<string | null>(null);
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['appointments', scope],
    queryFn: () => api<Appointment[]>('GET', `/api/patient-dashboard/appointments?scope=${scope}`),
    enabled: !!s,
  });
  const cancel = useMutation({
    mutationFn: (id: string) => api('POST', `/api/patient-dashboard/appointments/${id}/cancel`, {}),
    onSuccess: () => client.invalidateQueries({ queryKey: ['appointments'] }),
    onError: (err) => setError(err instanceof ApiError ? err.message : 'Could not cancel.'),
  });
  if (!s) return <Navigate to="/login?next=/appointments" />;
  return (
    <section>
      <h1>My appointments</h1>
      <div className="filters">
        <button
          type="button"
          className={scope === 'upcoming' ? 'active' : ''}
          onClick={() => setScope('upcoming')}
        >
          Upcoming
        </button>
        <button type="button" className={scope === 'past' ? 'active' : ''} onClick={() => setScope('past')}>
          Past
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {list.data?.length === 0 && <p className="muted">Nothing here yet.</p>}
      <ul className="grid">
        {list.data?.map((a) => (
          <li key={a.id} className="card appointment" data-status={a.status}>
            <h2>{a.clinician.fullName}</h2>
            <p>
              {formatTime(a.startAt)} · {a.mode === 'online' ? 'Online' : a.centre?.name}
            </p>
            <p className={`status ${a.status}`}>{a.status.replace('_', ' ').toLowerCase()}</p>
            {a.payment && (
              <p className="muted">
                {formatMoney(a.payment)} · {a.payment.status.toLowerCase()}
              </p>
            )}
            <div className="actions">
              {a.meetLink && (
                <a href={a.meetLink} target="_blank" rel="noreferrer">
                  Join video call
                </a>
              )}
              {a.status === 'CONFIRMED' && (
                <button type="button" className="secondary" onClick={() => cancel.mutate(a.id)}>
                  Cancel
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
