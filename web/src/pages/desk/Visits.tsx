import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Money } from '../../api';
import { useHasApi } from '../../features';
import { formatMoney, isoDay } from '../../format';
import { itemsOf } from '../../lists';
import { ErrorText, QueryView, Success } from '../../ui';

type Service = { code: string; name: string; billTiming: string; price: Money };
type Visit = {
  id: string;
  status?: string;
  serviceCode?: string;
  paymentStatus?: string;
  patientId?: string;
  price?: Money;
};

type Listed = Visit | { visit: Visit; consultation: unknown };

/** GOPD visits at the desk (when the server offers them): register one, take a desk payment, the day's visits. */
export function DeskVisits({ patientId }: { patientId: string | null }) {
  const available = useHasApi('POST /api/visits', 'GET /api/services');
  if (!available) return null;
  return (
    <>
      {patientId && <RegisterVisit patientId={patientId} />}
      <DayVisits />
    </>
  );
}

function RegisterVisit({ patientId }: { patientId: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const services = useQuery({
    queryKey: ['services'],
    queryFn: () => api<Service[] | { items: Service[] }>('GET', '/api/services'),
    select: itemsOf,
  });
  const [serviceCode, setServiceCode] = useState('');
  const [complaint, setComplaint] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api<{ visit: Visit }>('POST', '/api/visits', {
        patientId,
        serviceCode,
        ...(complaint ? { chiefComplaint: complaint } : {}),
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['visits'] }),
  });
  const service = services.data?.find((s) => s.code === serviceCode);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="card" onSubmit={submit}>
      <h2>{t('visits.register')}</h2>
      <label>
        {t('visits.service')}
        <select value={serviceCode} onChange={(e) => setServiceCode(e.target.value)} required>
          <option value="">{t('visits.chooseService')}</option>
          {services.data?.map((s) => (
            <option key={s.code} value={s.code}>
              {s.name} · {formatMoney(s.price)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('visits.complaint')}
        <input value={complaint} onChange={(e) => setComplaint(e.target.value)} />
      </label>
      <button type="submit" disabled={create.isPending}>
        {create.isPending ? t('common.saving') : t('visits.create')}
      </button>
      <ErrorText error={create.error ?? services.error} />
      {create.data && service && <TakePayment visit={create.data.visit} price={service.price} />}
    </form>
  );
}

function TakePayment({ visit, price }: { visit: Visit; price: Money }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [method, setMethod] = useState('CASH');
  const pay = useMutation({
    mutationFn: () =>
      api('POST', `/api/visits/${visit.id}/payments`, { amount: visit.price ?? price, method }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['visits'] }),
  });
  if (pay.isSuccess)
    return <Success>{t('visits.paid', { amount: formatMoney(visit.price ?? price) })}</Success>;
  return (
    <div className="confirm">
      <label>
        {t('visits.method')}
        <select value={method} onChange={(e) => setMethod(e.target.value)}>
          {['CASH', 'CARD', 'UPI'].map((m) => (
            <option key={m} value={m}>
              {t(`visits.${m}`)}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => pay.mutate()} disabled={pay.isPending}>
        {t('visits.take', { amount: formatMoney(visit.price ?? price) })}
      </button>
      <ErrorText error={pay.error} />
    </div>
  );
}

function DayVisits() {
  const { t } = useTranslation();
  const date = isoDay(new Date());
  const services = useQuery({
    queryKey: ['services'],
    queryFn: () => api<Service[] | { items: Service[] }>('GET', '/api/services'),
    select: itemsOf,
  });
  const nameOf = (code?: string) => services.data?.find((s) => s.code === code)?.name ?? code;
  const list = useQuery({
    queryKey: ['visits', date],
    queryFn: () => api<Listed[] | { items: Listed[] }>('GET', `/api/visits?date=${date}`),
    // Each item is `{visit, consultation}`.
    select: (r) => itemsOf(r).map((x) => ('visit' in x ? x.visit : x)),
    refetchInterval: 30_000,
  });
  return (
    <div className="card day-visits">
      <h2>{t('visits.today')}</h2>
      <QueryView query={list} empty={(l) => l.length === 0} emptyText={t('visits.none')}>
        {(l) => (
          <ul className="list plain">
            {l.map((v) => (
              <li key={v.id} data-payment={v.paymentStatus}>
                {nameOf(v.serviceCode)}
                {v.status ? ` · ${t(`visits.status.${v.status}`, { defaultValue: v.status })}` : ''}
                {v.paymentStatus
                  ? ` · ${t(`visits.payStatus.${v.paymentStatus}`, { defaultValue: v.paymentStatus })}`
                  : ''}
                {v.price ? ` · ${formatMoney(v.price)}` : ''}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </div>
  );
}
