import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError, api } from '../api';

export const PENDING_APPOINTMENT_KEY = 'carebook.pendingAppointment';

/**
 * Where a checkout sends the patient back. The gateway's webhook confirms the booking on its own;
 * when the return carries the signed callback (sandbox, Razorpay), it is verified here too, so the
 * patient sees the result at once.
 */
export function PaymentReturnPage() {
  const [params] = useSearchParams();
  const [state, setState] = useState<'checking' | 'confirmed' | 'pending' | 'failed'>('checking');
  const [detail, setDetail] = useState('');

  useEffect(() => {
    const appointmentId = sessionStorage.getItem(PENDING_APPOINTMENT_KEY);
    const orderId = params.get('orderId');
    const paymentId = params.get('paymentId');
    const signature = params.get('signature');
    if (params.get('status') === 'failed') return setState('failed');
    if (!appointmentId || !orderId || !paymentId || !signature) return setState('pending');
    api('POST', '/api/booking/confirm', { appointmentId, provider: 'sandbox', orderId, paymentId, signature })
      .then(() => {
        sessionStorage.removeItem(PENDING_APPOINTMENT_KEY);
        setState('confirmed');
      })
      .catch((err) => {
        setDetail(err instanceof ApiError ? err.message : '');
        setState('pending');
      });
  }, [params]);

  return (
    <section className="card narrow">
      {state === 'checking' && <h1>Checking your payment…</h1>}
      {state === 'confirmed' && <h1>Your appointment is confirmed</h1>}
      {state === 'pending' && (
        <>
          <h1>Payment received</h1>
          <p className="muted">
            We are confirming your booking; it shows in your appointments in a moment. {detail}
          </p>
        </>
      )}
      {state === 'failed' && <h1>The payment did not go through</h1>}
      <Link to="/appointments">My appointments</Link>
    </section>
  );
}
