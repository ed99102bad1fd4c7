import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from './api';
import { formatMoney } from './format';
import { RazorpayCheckout } from './razorpay';
import type { Checkout } from './slots';
import { ErrorText, Loading } from './ui';

/** Tabs of this app tell each other about a finished checkout (no storage involved). */
export const CHECKOUT_CHANNEL = 'carebook-checkout';
export type CheckoutResult = { orderId: string; paymentId: string; signature: string; status: string };

export function useNow(everyMs = 1000) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

const mmss = (ms: number) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

type Appt = { id: string; status: string };

/** Calls `onResult` when a checkout tab of this browser returns for `orderId` (and tells it so). */
export function useCheckoutResult(orderId: string | undefined, onResult: (r: CheckoutResult) => void) {
  const latest = useRef(onResult);
  latest.current = onResult;
  useEffect(() => {
    if (!orderId) return;
    const channel = new BroadcastChannel(CHECKOUT_CHANNEL);
    channel.onmessage = (e: MessageEvent<CheckoutResult>) => {
      if (e.data.orderId !== orderId) return;
      channel.postMessage({ ack: orderId });
      latest.current(e.data);
    };
    return () => channel.close();
  }, [orderId]);
}

/** The gateway's checkout: Razorpay's widget on this page, or a hosted page (Stripe, sandbox) in a new tab. */
export function CheckoutLink({ payment }: { payment: Checkout }) {
  const { t } = useTranslation();
  if (payment.provider === 'razorpay' && payment.keyId) return <RazorpayCheckout payment={payment} />;
  return payment.checkoutUrl ? (
    <>
      <a className="button" href={payment.checkoutUrl} target="_blank" rel="noopener">
        {t('book.pay', { amount: formatMoney(payment) })}
      </a>
      <p className="muted">{t('book.payHelp')}</p>
    </>
  ) : (
    <p className="muted">{t('book.noCheckout')}</p>
  );
}

/**
 * A held booking while the patient pays: the hold's countdown, the gateway's checkout opened in a
 * new tab, and the result picked up without a reload — from the checkout tab's return page (the
 * signed callback, verified by the API) or, failing that, from the appointment's own status, which
 * the gateway's webhook moves.
 */
export function PayForHold(props: {
  appointmentId: string;
  payment: Checkout;
  what: string;
  onRestart: () => void;
}) {
  const { t } = useTranslation();
  const { appointmentId, payment } = props;
  const now = useNow();
  const left = new Date(payment.expiresAt).getTime() - now;
  const status = useQuery({
    queryKey: ['appointment', appointmentId],
    queryFn: () => api<Appt>('GET', `/api/patient-dashboard/appointments/${appointmentId}`),
    refetchInterval: (q) => (q.state.data?.status === 'PENDING_PAYMENT' ? 3000 : false),
  });
  const confirm = useMutation({
    mutationFn: (r: CheckoutResult) =>
      api<{ appointment: Appt }>('POST', '/api/booking/confirm', {
        appointmentId,
        provider: payment.provider,
        orderId: r.orderId,
        paymentId: r.paymentId,
        signature: r.signature,
      }),
    onSettled: () => status.refetch(),
  });
  const [failed, setFailed] = useState(false);
  useCheckoutResult(payment.orderId, (r) => {
    if (r.status === 'failed') setFailed(true);
    else confirm.mutate(r);
  });

  const current = confirm.data?.appointment.status ?? status.data?.status;
  if (current === 'CONFIRMED')
    return (
      <div className="card booked" data-status="CONFIRMED" role="status">
        <h2>{t('book.confirmedTitle')}</h2>
        <p>{props.what}</p>
        <Link className="button" to={`/appointments/${appointmentId}`}>
          {t('book.seeAppointment')}
        </Link>
      </div>
    );
  if (current === 'EXPIRED' || current === 'CANCELLED' || left <= 0)
    return (
      <div className="card booked" data-status="EXPIRED" role="alert">
        <h2>{t('book.holdLapsed')}</h2>
        <p>{t('book.holdLapsedHelp')}</p>
        <button type="button" onClick={props.onRestart}>
          {t('book.chooseAgain')}
        </button>
      </div>
    );
  return (
    <div className="card booked" data-status="PENDING_PAYMENT">
      <h2>{t('book.heldTitle')}</h2>
      <p>{props.what}</p>
      <p className="status PENDING_PAYMENT" role="timer" aria-live="off">
        {t('book.holdCountdown', { time: mmss(left) })}
      </p>
      <CheckoutLink payment={payment} />
      {failed && (
        <p className="error" role="alert">
          {t('book.payFailed')}
        </p>
      )}
      {confirm.isPending && <Loading label={t('book.confirming')} />}
      <ErrorText error={confirm.error} />
    </div>
  );
}
