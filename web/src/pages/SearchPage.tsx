import { useState } from 'react';
import { Link } from 'react-router';
import { formatMoney } from '../api';
import { useClinicians } from '../catalog';

export function SearchPage() {
  const [q, setQ] = useState('');
  const [mode, setMode] = useState('');
  const clinicians = useClinicians(q, mode);
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
