import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CHECKOUT_CHANNEL, type CheckoutResult } from './checkout';
import { formatMoney } from './format';
import type { Checkout } from './slots';

/** Razorpay's official Checkout script (the server's CSP allows exactly this origin on the app's page). */
export const RAZORPAY_CHECKOUT_JS = 'https://checkout.razorpay.com/v1/checkout.js';

type RazorpayReply = { razorpay_payment_id: string; razorpay_order_id: string; razorpay_signature: string };
type RazorpayWidget = { open(): void; on(event: string, cb: (e: unknown) => void): void };
type RazorpayCtor = new (options: Record<string, unknown>) => RazorpayWidget;

let loading: Promise<RazorpayCtor> | null = null;

/** Loads checkout.js once per page. */
function loadRazorpay(): Promise<RazorpayCtor> {
  const ready = () => (window as unknown as { Razorpay?: RazorpayCtor }).Razorpay;
  const existing = ready();
  if (existing) return Promise.resolve(existing);
  loading ??= new Promise<RazorpayCtor>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = RAZORPAY_CHECKOUT_JS;
    script.async = true;
    script.onload = () => {
      const ctor = ready();
      if (ctor) resolve(ctor);
      else reject(new Error('Razorpay Checkout did not load'));
    };
    script.onerror = () => reject(new Error('Razorpay Checkout did not load'));
    document.head.append(script);
  }).catch((err: unknown) => {
    loading = null;
    throw err;
  });
  return loading;
}

/**
 * The widget's result goes out the way a checkout tab's does (the page that waits for this order
 * verifies it with the API), so every payment step handles both kinds of checkout alike.
 */
function announce(result: CheckoutResult) {
  const channel = new BroadcastChannel(CHECKOUT_CHANNEL);
  channel.postMessage(result);
  setTimeout(() => channel.close(), 5000);
}

/** Opens Razorpay Checkout on this page with the order and key id the server created. */
export function RazorpayCheckout({ payment }: { payment: Checkout }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const open = async () => {
    setBusy(true);
    setFailed(false);
    try {
      const Razorpay = await loadRazorpay();
      const widget = new Razorpay({
        key: payment.keyId,
        order_id: payment.orderId,
        amount: payment.amount,
        currency: payment.currency,
        name: 'Carebook',
        description: t('book.razorpayDescription'),
        handler: (r: RazorpayReply) =>
          announce({
            orderId: r.razorpay_order_id,
            paymentId: r.razorpay_payment_id,
            signature: r.razorpay_signature,
            status: 'paid',
          }),
        modal: { ondismiss: () => setBusy(false) },
      });
      widget.on('payment.failed', () =>
        announce({ orderId: payment.orderId, paymentId: '', signature: '', status: 'failed' }),
      );
      widget.open();
    } catch {
      setBusy(false);
      setFailed(true);
    }
  };
  return (
    <>
      <button type="button" className="button" onClick={() => void open()} disabled={busy}>
        {t('book.payRazorpay', { amount: formatMoney(payment) })}
      </button>
      <p className="muted">{t('book.razorpayHelp')}</p>
      {failed && (
        <p className="error" role="alert">
          {t('book.razorpayFailed')}
        </p>
      )}
    </>
  );
}
