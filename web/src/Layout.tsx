import { Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { signOut } from './api';
import { useHasApi } from './features';
import { LANGUAGES, type Language, setLanguage } from './i18n';
import { useLiveUpdates, useUnreadCount } from './notifications';
import { Loading, useSession, useSessionState } from './ui';

/** Where each role starts after signing in. */
export const HOME: Record<string, string> = {
  patient: '/appointments',
  clinician: '/clinician/day',
  staff: '/front-desk',
  admin: '/admin',
};

function NavLinks() {
  const { t } = useTranslation();
  const s = useSession();
  const role = s?.user.role;
  const consults = useHasApi('GET /api/consultations');
  const symptoms = useHasApi('POST /api/consultations/symptoms/collect');
  const plans = useHasApi('POST /api/subscriptions');
  const wallet = useHasApi('GET /api/wallet');
  const ledger = useHasApi('GET /api/admin/ledger/trial-balance');
  return (
    <>
      {(!role || role === 'patient') && (
        <NavLink to="/" end>
          {t('nav.find')}
        </NavLink>
      )}
      {role === 'patient' && <NavLink to="/appointments">{t('nav.appointments')}</NavLink>}
      {role === 'patient' && symptoms && <NavLink to="/symptoms">{t('nav.symptoms')}</NavLink>}
      {(role === 'patient' || role === 'clinician') && consults && (
        <NavLink to="/consultations">{t('nav.consultations')}</NavLink>
      )}
      {role === 'patient' && plans && <NavLink to="/plans">{t('nav.plans')}</NavLink>}
      {role === 'patient' && <NavLink to="/profile">{t('nav.profile')}</NavLink>}
      {role === 'clinician' && wallet && <NavLink to="/clinician/wallet">{t('nav.wallet')}</NavLink>}
      {role === 'admin' && ledger && <NavLink to="/admin/ledger">{t('nav.ledger')}</NavLink>}
      {role === 'clinician' && <NavLink to="/clinician/day">{t('nav.myDay')}</NavLink>}
      {role === 'clinician' && <NavLink to="/clinician/schedule">{t('nav.schedule')}</NavLink>}
      {(role === 'staff' || role === 'admin') && <NavLink to="/front-desk">{t('nav.frontDesk')}</NavLink>}
      {role === 'admin' && <NavLink to="/admin">{t('nav.admin')}</NavLink>}
    </>
  );
}

export function Layout() {
  const { t, i18n } = useTranslation();
  const s = useSession();
  const loading = useSessionState().status === 'loading';
  const navigate = useNavigate();
  const location = useLocation();
  const [open, setOpen] = useState(false);
  const [menuFor, setMenuFor] = useState(location.pathname);
  useLiveUpdates();
  const unread = useUnreadCount();
  // Following a link closes the menu.
  if (menuFor !== location.pathname) {
    setMenuFor(location.pathname);
    setOpen(false);
  }
  const logout = async () => {
    await signOut();
    navigate('/');
  };
  return (
    <>
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header>
        <Link to={s ? (HOME[s.user.role] ?? '/') : '/'} className="brand">
          Carebook
        </Link>
        <div className="header-tools">
          {s && (
            <Link
              to="/notifications"
              className="badge-link"
              aria-label={t('nav.notificationsCount', { count: unread.data ?? 0 })}
            >
              <svg
                aria-hidden="true"
                width="20"
                height="20"
                viewBox="0 0 24 24"
                fill="none"
                stroke="currentColor"
                strokeWidth="2"
              >
                <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
                <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
              </svg>
              {!!unread.data && (
                <span className="badge" aria-hidden="true">
                  {unread.data}
                </span>
              )}
            </Link>
          )}
          <button
            type="button"
            className="menu-button"
            aria-expanded={open}
            aria-controls="site-nav"
            onClick={() => setOpen(!open)}
          >
            {t('nav.menu')}
          </button>
        </div>
        <nav id="site-nav" aria-label={t('nav.main')} className={open ? 'open' : ''}>
          <NavLinks />
          <label className="lang">
            <span className="visually-hidden">{t('nav.language')}</span>
            <select value={i18n.language} onChange={(e) => setLanguage(e.target.value as Language)}>
              {Object.entries(LANGUAGES).map(([code, name]) => (
                <option key={code} value={code} lang={code}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          {loading ? null : s ? (
            <button type="button" className="link" onClick={logout}>
              {t('nav.signOut', { name: s.user.fullName ?? '' })}
            </button>
          ) : (
            <NavLink to="/login">{t('nav.signIn')}</NavLink>
          )}
        </nav>
      </header>
      <main id="main">
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </>
  );
}
