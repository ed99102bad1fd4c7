import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, formatMoney, type Money } from '../api';

type Centre = { id: string; name: string; city: string; address: string; timeZone: string };
type Clinician = {
  id: string;
  fullName: string;
  specialization: string;
  modes: string[];
  fee: Money;
  centres: Centre[];
};

export function SearchPage() {
  const [q, setQ] = useState('');
  const [mode, setMode] = useState('');
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (mode) params.set('mode', mode);
  const clinicians = useQuery({
    queryKey: ['clinicians', q, mode],
    queryFn: () => api<Clinician[]>('GET', `/api/clinicians?${params}`),
  });
  return (
    <section>
      <h1>Find a clinician</h1>
      <div className="filters">
        <input placeholder="Name or specialization" value={q} onChange={(e) => setQ(e.target.value)} />
        <select value={mode} onChange={(e) => setMode(e.target.value)}>
          <option value="">Online or in person</option>
          <option value="online">Online</option>
          <option value="in_person">In person</option>
        </select>
      </div>
      {clinicians.isError && <p className="error">{String(clinicians.error.message)}</p>}
      <ul className="grid">
        {clinicians.data?.map((c) => (
          <li key={c.id} className="card">
            <h2>
              <Link to={`/clinicians/${c.id}`}>{c.fullName}</Link>
            </h2>
            <p>{c.specialization}</p>
            <p className="muted">
              {c.centres.map((x) => `${x.name}, ${x.city}`).join(' · ') || 'Online only'}
            </p>
            <p>
              {formatMoney(c.fee)} ·{' '}
              {c.modes.map((m) => (m === 'in_person' ? 'In person' : 'Online')).join(', ')}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
