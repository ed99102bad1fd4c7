import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, type Money } from '../../api';
import { type AppointmentView, paymentCell, useAppointment } from '../../appointments';
import { useClinicians } from '../../catalog';
import { formatDateTime, formatMoney } from '../../format';
import { DataTable, ErrorText, PageTitle, QueryView, RequireRole, Success } from '../../ui';
import { useQueryState } from '../../url';
import { DateFilter, FilterBar, payStatusOptions, SelectFilter } from './AdminFilters';

const STATUSES = ['PENDING_PAYMENT', 'CONFIRMED', 'CANCELLED', 'EXPIRED', 'COMPLETED', 'NO_SHOW'];
const SOURCES = ['WEB_PATIENT', 'ADMIN', 'FRONT_DESK'];

/** Appointments and their payments, filtered (all filters live in the URL). */
export function AdminAppointments() {
  const { t } = useTranslation();
  const { get, set: setAll } = useQueryState();
  const set = (k: string, v: string) => setAll({ [k]: v });
  const clinicians = useClinicians({});
  const query = new URLSearchParams({ limit: '200' });
  for (const k of ['status', 'clinicianId', 'source']) if (get(k)) query.set(k, get(k));
  if (get('from')) query.set('from', new Date(`${get('from')}T00:00:00`).toISOString());
  if (get('to')) query.set('to', new Date(`${get('to')}T23:59:59`).toISOString());
  const list = useQuery({
    queryKey: ['admin-appointments', query.toString()],
    // The newest page (`{items, nextCursor}`); the filters narrow it.
    queryFn: () =>
      api<{ items: AppointmentView[] }>('GET', `/api/admin/appointments?${query}`).then((p) => p.items),
  });
  const pay = get('payment');
  const shown = (l: AppointmentView[]) =>
    l.filter((a) => !pay || (pay === 'none' ? !a.payment : a.payment?.status === pay));
  return (
    <RequireRole roles={['admin', 'staff']}>
      <section>
        <PageTitle>{t('admin.appointments')}</PageTitle>
        <FilterBar>
          <SelectFilter
            label={t('table.status')}
            value={get('status')}
            onChange={(v) => set('status', v)}
            options={STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))}
          />
          <SelectFilter
            label={t('table.payment')}
            value={pay}
            onChange={(v) => set('payment', v)}
            options={[{ value: 'none', label: t('admin.noPayment') }, ...payStatusOptions(t)]}
          />
          <SelectFilter
            label={t('table.clinician')}
            value={get('clinicianId')}
            onChange={(v) => set('clinicianId', v)}
            options={(clinicians.data ?? []).map((c) => ({ value: c.id, label: c.fullName }))}
          />
          <SelectFilter
            label={t('admin.source')}
            value={get('source')}
            onChange={(v) => set('source', v)}
            options={SOURCES.map((s) => ({ value: s, label: t(`source.${s}`) }))}
          />
          <DateFilter label={t('schedule.from')} value={get('from')} onChange={(v) => set('from', v)} />
          <DateFilter label={t('schedule.until')} value={get('to')} onChange={(v) => set('to', v)} />
        </FilterBar>
        <QueryView query={list} empty={(l) => shown(l).length === 0} emptyText={t('admin.noAppointments')}>
          {(l) => (
            <DataTable
              caption={t('admin.appointments')}
              columns={[
                t('table.time'),
                t('table.clinician'),
                t('table.status'),
                t('table.payment'),
                t('admin.source'),
              ]}
            >
              {shown(l).map((a) => (
                <tr key={a.id} data-status={a.status}>
                  <td>
                    <Link to={`/admin/appointments/${a.id}`}>{formatDateTime(a.startAt)}</Link>
                  </td>
                  <td>{a.clinician?.fullName}</td>
                  <td>{t(`status.${a.status}`)}</td>
                  <td>{paymentCell(t, a.payment)}</td>
                  <td>{t(`source.${a.source}`, { defaultValue: a.source })}</td>
                </tr>
              ))}
            </DataTable>
          )}
        </QueryView>
      </section>
    </RequireRole>
  );
}

type Profile = { fullName: string | null; phone: string; email: string | null };

/** One appointment for an admin: the patient, the payment, and what can be done with it. */
export function AdminAppointment() {
  const { t } = useTranslation();
  const { id } = useParams();
  const appointment = useAppointment(id);
  return (
    <RequireRole roles={['admin', 'staff']}>
      <section>
        <PageTitle>{t('admin.appointment')}</PageTitle>
        <QueryView query={appointment}>{(a) => <AdminAppointmentDetails a={a} />}</QueryView>
        <Link to="/admin/appointments">{t('admin.backToAppointments')}</Link>
      </section>
    </RequireRole>
  );
}

function AdminAppointmentDetails({ a }: { a: AppointmentView }) {
  const { t } = useTranslation();
  const patient = useQuery({
    queryKey: ['patient', a.patientId],
    queryFn: () => api<Profile>('GET', `/api/patients/${a.patientId}`),
    gcTime: 0,
  });
  const paymentId = a.paymentId;
  const [done, setDone] = useState<string | null>(null);
  return (
    <>
      {done && <Success>{done}</Success>}
      <div className="card appointment" data-status={a.status}>
        <p className={`status ${a.status}`}>{t(`status.${a.status}`)}</p>
        <p>
          {formatDateTime(a.startAt)} · {a.clinician?.fullName} ·{' '}
          {a.mode === 'online' ? t('mode.online') : a.centre?.name}
        </p>
        <p>
          {t('admin.patient')}:{' '}
          {patient.data
            ? `${patient.data.fullName ?? '—'} · ${patient.data.phone}`
            : patient.isError
              ? '—'
              : '…'}
        </p>
        {a.payment && (
          <p>
            {t('table.payment')}: {formatMoney(a.payment)} ·{' '}
            {t(`payStatus.${a.payment.status}`, { defaultValue: a.payment.status })}
          </p>
        )}
        <p className="muted">
          {t('admin.source')}: {t(`source.${a.source}`, { defaultValue: a.source })}
          {a.cancelReason ? ` · ${a.cancelReason}` : ''}
        </p>
      </div>
      {a.status === 'CONFIRMED' && <CancelAndRefund a={a} onDone={setDone} />}
      {paymentId && <PartialRefund paymentId={paymentId} currency={a.payment?.currency ?? 'INR'} />}
    </>
  );
}

/** The admin cancels the appointment; whatever was paid and not yet refunded goes back in full. */
function CancelAndRefund({ a, onDone }: { a: AppointmentView; onDone: (message: string) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const cancel = useMutation({
    mutationFn: () =>
      api<{ refund: { amount: Money; status: string } | null }>(
        'POST',
        `/api/patient-dashboard/appointments/${a.id}/cancel`,
        reason ? { reason } : {},
      ),
    onSuccess: (res) => {
      onDone(
        res.refund
          ? t('admin.refunded', { amount: formatMoney(res.refund.amount), status: res.refund.status })
          : t('appointment.cancelled'),
      );
      void client.invalidateQueries({ queryKey: ['appointment', a.id] });
      void client.invalidateQueries({ queryKey: ['admin-appointments'] });
    },
  });
  return (
    <div className="card">
      <h2>{a.payment ? t('admin.cancelRefund') : t('admin.cancelOnly')}</h2>
      {!asking ? (
        <button type="button" className="danger" onClick={() => setAsking(true)}>
          {a.payment ? t('admin.cancelRefund') : t('admin.cancelOnly')}
        </button>
      ) : (
        <section className="confirm" aria-labelledby="admin-cancel-q">
          <p id="admin-cancel-q">
            {a.payment
              ? t('admin.cancelRefundQuestion', { amount: formatMoney(a.payment) })
              : t('appointment.cancelQuestion')}
          </p>
          <label>
            {t('admin.reason')}
            <input value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <div className="actions">
            <button
              type="button"
              className="danger"
              onClick={() => cancel.mutate()}
              disabled={cancel.isPending}
            >
              {cancel.isPending ? t('appointment.cancelling') : t('admin.yesCancel')}
            </button>
            <button type="button" className="secondary" onClick={() => setAsking(false)}>
              {t('appointment.keep')}
            </button>
          </div>
        </section>
      )}
      <ErrorText error={cancel.error} />
    </div>
  );
}

type Refund = {
  id: string;
  amountMinor: number;
  currency: string;
  status: string;
  reason: string;
  createdAt: string;
};

/** A part or all of a payment back, when the appointment names its payment. */
function PartialRefund({ paymentId, currency }: { paymentId: string; currency: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [key] = useState(() => crypto.randomUUID());
  const refunds = useQuery({
    queryKey: ['refunds', paymentId],
    queryFn: () => api<Refund[]>('GET', `/api/admin/payments/${paymentId}/refunds`),
  });
  const refund = useMutation({
    mutationFn: () =>
      api('POST', `/api/admin/payments/${paymentId}/refunds`, {
        ...(amount ? { amount: Math.round(Number(amount) * 100) } : {}),
        reason,
        idempotencyKey: key,
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['refunds', paymentId] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    refund.mutate();
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="refund-title">
      <h2 id="refund-title">{t('admin.refund')}</h2>
      <QueryView query={refunds} empty={(l) => l.length === 0} emptyText={t('admin.noRefunds')}>
        {(l) => (
          <ul className="list plain">
            {l.map((r) => (
              <li key={r.id}>
                {formatMoney({ amount: r.amountMinor, currency: r.currency })} · {r.status} · {r.reason}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
      <label>
        {t('admin.refundAmount', { currency })}
        <input
          type="number"
          min="0.01"
          step="0.01"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
      </label>
      <label>
        {t('admin.reason')}
        <input value={reason} onChange={(e) => setReason(e.target.value)} required />
      </label>
      <button type="submit" disabled={refund.isPending || refund.isSuccess}>
        {refund.isPending ? t('admin.refunding') : t('admin.refund')}
      </button>
      {refund.isSuccess && <Success>{t('admin.refundDone')}</Success>}
      <ErrorText error={refund.error} />
    </form>
  );
}
