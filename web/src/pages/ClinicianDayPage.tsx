import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Navigate } from 'react-router';
import { api, formatTime } from '../api';
import { useSession } from '../Layout';

type Appointment = {
  id: string;
  status: string;
  startAt: string;
  mode: string;
  patient?: { fullName: string | null };
};

export function ClinicianDayPage() {
  const s = useSession();
  const [date, setDate] = useState(new Date().toISOString().slice(0, 10));
  const day = useQuery({
    queryKey: ['clinician-day', date],
    queryFn: () => api<Appointment[]>('GET', `/api/clinician/appointments?date=${date}`),
    enabled: !!s,
  });
  if (!s) return <Navigate to="/login?next=/clinician/day" />;
  return (
    <section>
      <h1>My day</h1>
      <input type="date" value={date} onChange={(e) => setDate(e.target.value)} />
      {day.data?.length === 0 && <p className="muted">No appointments.</p>}
      <ul className="grid">
        {day.data?.map((a) => (
          <li key={a.id} className="card">
            <h2>{formatTime(a.startAt)}</h2>
            <p>
              {a.patient?.fullName ?? 'Patient'} · {a.mode === 'online' ? 'Online' : 'In person'} · {a.status}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
