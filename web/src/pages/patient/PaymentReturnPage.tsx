import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { restoreSession } from '../../api';
import { CHECKOUT_CHANNEL, type CheckoutResult } from '../../checkout';
import { PageTitle } from '../../ui';

/**
 * Where a checkout tab comes back. It hands the signed callback to the tab the patient booked in
 * (which verifies it with the API and shows the result); the gateway's webhook confirms the booking
 * on its own in any case.
 */
export function PaymentReturnPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const [handedOver, setHandedOver] = useState(false);
  const failed = params.get('status') === 'failed';
  useEffect(() => {
    const orderId = params.get('orderId');
    if (!orderId) return;
    const result: CheckoutResult = {
      orderId,
      paymentId: params.get('paymentId') ?? '',
      signature: params.get('signature') ?? '',
      status: params.get('status') ?? 'paid',
    };
    const channel = new BroadcastChannel(CHECKOUT_CHANNEL);
    let acked = false;
    channel.onmessage = (e: MessageEvent<{ ack?: string }>) => {
      if (e.data.ack !== orderId) return;
      acked = true;
      setHandedOver(true);
    };
    channel.postMessage(result);
    // No booking tab answered (closed, or another browser): sign in from the cookie here, so the
    // link to the appointments works.
    const lonely = setTimeout(() => {
      if (!acked) void restoreSession();
    }, 2000);
    return () => {
      clearTimeout(lonely);
      channel.close();
    };
  }, [params]);
  return (
    <section className="card narrow">
      <PageTitle>{failed ? t('payReturn.failed') : t('payReturn.received')}</PageTitle>
      <p role="status">{handedOver ? t('payReturn.handedOver') : t('payReturn.confirming')}</p>
      <Link to="/appointments">{t('nav.appointments')}</Link>
    </section>
  );
}
