import { useEffect, useState } from 'react';
import { Link, Outlet, useNavigate } from 'react-router';
import { api, session } from './api';

export function useSession() {
  const [s, setS] = useState(session.get());
  useEffect(() => {
    const on = () => setS(session.get());
    window.addEventListener('carebook-session', on);
    return () => window.removeEventListener('carebook-session', on);
  }, []);
  return s;
}

export function Layout() {
  const s = useSession();
  const navigate = useNavigate();
  const logout = async () => {
    const current = session.get();
    if (current)
      await api('POST', '/api/patient-auth/logout', { refreshToken: current.refreshToken }).catch(() => {});
    session.set(null);
    navigate('/');
  };
  return (
    <>
      <header>
        <Link to="/" className="brand">
          Carebook
        </Link>
        <nav>
          <Link to="/">Find a clinician</Link>
          {s?.user.role === 'patient' && <Link to="/appointments">My appointments</Link>}
          {s?.user.role === 'clinician' && <Link to="/clinician/day">My day</Link>}
          {(s?.user.role === 'staff' || s?.user.role === 'admin') && <Link to="/front-desk">Front desk</Link>}
          <a href="/docs">API</a>
          {s ? (
            <button type="button" className="link" onClick={logout}>
              Sign out {s.user.fullName ?? ''}
            </button>
          ) : (
            <Link to="/login">Sign in</Link>
          )}
        </nav>
      </header>
      <main>
        <Outlet />
      </main>
    </>
  );
}
