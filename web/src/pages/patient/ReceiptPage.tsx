import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, type Money } from '../../api';
import { useAppointment } from '../../appointments';
import { formatDateTime, formatMoney } from '../../format';
import { PageTitle, QueryView, RequireRole } from '../../ui';

type PaymentDetail = {
  id: string;
  provider: string;
  status: string;
  amount: Money;
  refunded: Money;
  paidAt: string | null;
  createdAt: string;
};

/** The payment for one appointment, ready to print. */
export function ReceiptPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const appointment = useAppointment(id);
  const paymentId = appointment.data?.paymentId;
  // The payment's own record (paid at, refunds) when the appointment names it.
  const payment = useQuery({
    queryKey: ['payment', paymentId],
    enabled: !!paymentId,
    queryFn: () => api<PaymentDetail>('GET', `/api/payment/${paymentId}`),
  });
  return (
    <RequireRole roles={['patient']}>
      <section className="card receipt">
        <PageTitle>{t('receipt.title')}</PageTitle>
        <QueryView query={appointment}>
          {(a) =>
            a.payment ? (
              <dl>
                <dt>{t('receipt.for')}</dt>
                <dd>
                  {a.clinician?.fullName} · {a.clinician?.specialization}
                </dd>
                <dt>{t('receipt.when')}</dt>
                <dd>{formatDateTime(a.startAt)}</dd>
                <dt>{t('receipt.amount')}</dt>
                <dd>{formatMoney(a.payment)}</dd>
                <dt>{t('receipt.status')}</dt>
                <dd>{t(`payStatus.${a.payment.status}`, { defaultValue: a.payment.status })}</dd>
                {payment.data?.paidAt && (
                  <>
                    <dt>{t('receipt.paidAt')}</dt>
                    <dd>{formatDateTime(payment.data.paidAt)}</dd>
                  </>
                )}
                {!!payment.data?.refunded.amount && (
                  <>
                    <dt>{t('receipt.refunded')}</dt>
                    <dd>{formatMoney(payment.data.refunded)}</dd>
                  </>
                )}
                <dt>{t('receipt.reference')}</dt>
                <dd>
                  <code>{paymentId ?? a.id}</code>
                </dd>
              </dl>
            ) : (
              <p className="muted empty">{t('receipt.none')}</p>
            )
          }
        </QueryView>
        <div className="actions no-print">
          <button type="button" className="secondary" onClick={() => window.print()}>
            {t('receipt.print')}
          </button>
          <Link to={`/appointments/${id}`}>{t('common.back')}</Link>
        </div>
      </section>
    </RequireRole>
  );
}
