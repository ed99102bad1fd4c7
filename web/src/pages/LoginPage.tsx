import { type FormEvent, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { ApiError, api, session, type User } from '../api';

const HOME: Record<string, string> = {
  clinician: '/clinician/day',
  staff: '/front-desk',
  admin: '/front-desk',
};

type Verified = { accessToken: string; refreshToken: string; isNewUser?: boolean; user: User };

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [staff, setStaff] = useState(false);
  const [phone, setPhone] = useState('');
  const [otp, setOtp] = useState('');
  const [fullName, setFullName] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const base = staff ? '/api/auth' : '/api/patient-auth';

  const sendCode = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api('POST', `${base}/send-otp`, { phone });
      setSent(true);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Could not send the code.');
    }
  };
  const verify = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const body = { phone, otp, ...(fullName ? { fullName } : {}) };
      const res = await api<Verified>('POST', `${base}/verify-otp`, body);
      session.set({ accessToken: res.accessToken, refreshToken: res.refreshToken, user: res.user });
      navigate(params.get('next') ?? HOME[res.user.role] ?? '/');
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Could not verify the code.');
    }
  };

  return (
    <section className="card narrow">
      <h1>{staff ? 'Staff sign in' : 'Sign in'}</h1>
      {!sent ? (
        <form onSubmit={sendCode}>
          <label>
            Mobile number
            <input
              name="phone"
              value={phone}
              onChange={(e) => setPhone(e.target.value)}
              placeholder="+91 98765 43210"
              required
            />
          </label>
          <button type="submit">Send code</button>
        </form>
      ) : (
        <form onSubmit={verify}>
          <p className="muted">
            We sent a 6-digit code to {phone}. In development it is in the{' '}
            <a href={`/dev/inbox?to=${encodeURIComponent(phone)}`} target="_blank" rel="noreferrer">
              dev inbox
            </a>
            .
          </p>
          <label>
            Code
            <input
              name="otp"
              value={otp}
              onChange={(e) => setOtp(e.target.value)}
              inputMode="numeric"
              maxLength={6}
              required
            />
          </label>
          {!staff && (
            <label>
              Your name (first time only)
              <input name="fullName" value={fullName} onChange={(e) => setFullName(e.target.value)} />
            </label>
          )}
          <button type="submit">Verify</button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button
        type="button"
        className="link"
        onClick={() => {
          setStaff(!staff);
          setSent(false);
        }}
      >
        {staff ? 'I am a patient' : 'I am a clinician or staff member'}
      </button>
    </section>
  );
}
