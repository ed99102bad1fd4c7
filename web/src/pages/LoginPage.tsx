import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { api, session, signedIn, type User } from '../api';
import { HOME } from '../Layout';
import { ErrorText, PageTitle } from '../ui';

type Verified = { accessToken: string; refreshToken: string; isNewUser?: boolean; user: User };

/** Only paths inside the app are followed after signing in. */
const safeNext = (next: string | null) => (next?.startsWith('/') && !next.startsWith('//') ? next : null);

export function LoginPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const staff = params.get('staff') === '1';
  const [phone, setPhone] = useState('');
  const [otp, setOtp] = useState('');
  const [step, setStep] = useState<'phone' | 'code' | 'details'>('phone');
  const [user, setUser] = useState<User | null>(null);
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const base = staff ? '/api/auth' : '/api/patient-auth';
  const next = safeNext(params.get('next'));

  const run = (fn: () => Promise<void>) => async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const done = (u: User) => navigate(next ?? HOME[u.role] ?? '/');
  const sendCode = run(async () => {
    await api('POST', `${base}/send-otp`, { phone });
    setStep('code');
  });
  const verify = run(async () => {
    const res = await api<Verified>('POST', `${base}/verify-otp`, { phone, otp });
    signedIn(res.accessToken, res.user);
    if (res.user.role === 'patient' && (res.isNewUser || !res.user.fullName)) {
      setUser(res.user);
      setStep('details');
    } else done(res.user);
  });
  const saveDetails = run(async () => {
    await api('PUT', '/api/patient-dashboard/profile', { fullName, ...(email ? { email } : {}) });
    const me = { ...user!, fullName, email: email || null };
    signedIn(session.get()!.accessToken, me);
    done(me);
  });

  return (
    <section className="card narrow">
      <PageTitle>
        {step === 'details' ? t('login.welcome') : staff ? t('login.staffTitle') : t('login.title')}
      </PageTitle>
      {step === 'phone' && (
        <form onSubmit={sendCode}>
          <label>
            {t('login.phone')}
            <input
              name="phone"
              type="tel"
              autoComplete="tel"
              value={phone}
              onChange={(e) => setPhone(e.target.value)}
              placeholder="+91 98765 43210"
              required
            />
          </label>
          <button type="submit" disabled={busy}>
            {busy ? t('login.sending') : t('login.sendCode')}
          </button>
        </form>
      )}
      {step === 'code' && (
        <form onSubmit={verify}>
          <p className="muted">
            {t('login.codeSent', { phone })}{' '}
            <a href={`/dev/inbox?to=${encodeURIComponent(phone)}`} target="_blank" rel="noopener">
              {t('login.devInbox')}
            </a>
          </p>
          <label>
            {t('login.code')}
            <input
              name="otp"
              value={otp}
              onChange={(e) => setOtp(e.target.value)}
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              required
            />
          </label>
          <button type="submit" disabled={busy}>
            {busy ? t('login.verifying') : t('login.verify')}
          </button>
        </form>
      )}
      {step === 'details' && (
        <form onSubmit={saveDetails}>
          <p className="muted">{t('login.detailsHelp')}</p>
          <label>
            {t('profile.fullName')}
            <input
              name="fullName"
              autoComplete="name"
              value={fullName}
              onChange={(e) => setFullName(e.target.value)}
              required
            />
          </label>
          <label>
            {t('profile.email')}
            <input
              name="email"
              type="email"
              autoComplete="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          <button type="submit" disabled={busy}>
            {t('login.continue')}
          </button>
        </form>
      )}
      <ErrorText error={error} />
      {step !== 'details' && (
        <button
          type="button"
          className="link"
          onClick={() => {
            const p = new URLSearchParams(params);
            if (staff) p.delete('staff');
            else p.set('staff', '1');
            setParams(p, { replace: true });
            setStep('phone');
          }}
        >
          {staff ? t('login.iAmPatient') : t('login.iAmStaff')}
        </button>
      )}
    </section>
  );
}
