import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { type AppointmentView, paymentCell } from '../../appointments';
import { useClinicians } from '../../catalog';
import { useNow } from '../../checkout';
import { addDays, clockTime, formatDateTime, formatMoney, isoDay, myZone } from '../../format';
import { type Initiated, type Slot, SlotDays, useWeekOfSlots } from '../../slots';
import { DataTable, ErrorText, PageTitle, QueryView, RequireRole } from '../../ui';
import { DeskVisits } from './Visits';

type Patient = { id: string; fullName: string | null; phone: string; email: string | null };

/** Staff and admins at the desk: find or register a patient, book for them; the day's appointments. */
export function FrontDeskPage() {
  const { t } = useTranslation();
  const [patient, setPatient] = useState<Patient | null>(null);
  return (
    <RequireRole roles={['staff', 'admin']}>
      <section>
        <PageTitle>{t('desk.title')}</PageTitle>
        {patient ? (
          <div className="card actions">
            <p>
              {t('desk.bookingFor', { name: patient.fullName ?? t('desk.noName'), phone: patient.phone })}
            </p>
            <button type="button" className="secondary" onClick={() => setPatient(null)}>
              {t('desk.another')}
            </button>
          </div>
        ) : (
          <FindPatient onFound={setPatient} />
        )}
        {patient && <BookForPatient key={patient.id} patient={patient} />}
        <DeskVisits patientId={patient?.id ?? null} />
        <DayAppointments />
      </section>
    </RequireRole>
  );
}

function FindPatient({ onFound }: { onFound: (p: Patient) => void }) {
  const { t } = useTranslation();
  const [phone, setPhone] = useState('');
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [notFound, setNotFound] = useState(false);
  const lookup = useMutation({
    mutationFn: () => api<Patient[]>('GET', `/api/patients?phone=${encodeURIComponent(phone)}`),
    onSuccess: (list) => (list[0] ? onFound(list[0]) : setNotFound(true)),
  });
  const register = useMutation({
    mutationFn: () => api<Patient>('POST', '/api/patients', { phone, fullName, ...(email ? { email } : {}) }),
    onSuccess: onFound,
  });
  const find = (e: FormEvent) => {
    e.preventDefault();
    setNotFound(false);
    register.reset();
    lookup.mutate();
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    register.mutate();
  };
  return (
    <div className="card">
      <form onSubmit={find}>
        <label>
          {t('desk.phone')}
          <input
            name="phone"
            type="tel"
            value={phone}
            onChange={(e) => {
              setPhone(e.target.value);
              setNotFound(false);
            }}
            placeholder="+91 98765 43210"
            required
          />
        </label>
        <button type="submit" disabled={lookup.isPending}>
          {lookup.isPending ? t('desk.finding') : t('desk.find')}
        </button>
      </form>
      {notFound && (
        <form onSubmit={add}>
          <p className="muted" role="status">
            {t('desk.notFound')}
          </p>
          <label>
            {t('profile.fullName')}
            <input name="fullName" value={fullName} onChange={(e) => setFullName(e.target.value)} required />
          </label>
          <label>
            {t('desk.emailOptional')}
            <input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <button type="submit" disabled={register.isPending}>
            {register.isPending ? t('common.saving') : t('desk.register')}
          </button>
        </form>
      )}
      <ErrorText error={lookup.error ?? register.error} />
    </div>
  );
}

function BookForPatient({ patient }: { patient: Patient }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState('online');
  const [clinicianId, setClinicianId] = useState('');
  const clinicians = useClinicians({ mode });
  const slots = useWeekOfSlots(clinicianId || undefined, mode);
  const book = useMutation({
    mutationFn: (slot: Slot) =>
      api<Initiated>('POST', '/api/booking/initiate', {
        clinicianId,
        patientId: patient.id,
        startAt: slot.startAt,
        mode: slot.mode,
        ...(slot.centreId ? { centreId: slot.centreId } : {}),
      }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['slots', clinicianId] });
      void queryClient.invalidateQueries({ queryKey: ['desk-day'] });
    },
  });
  const clinician = clinicians.data?.find((c) => c.id === clinicianId);
  return (
    <>
      <div className="filters">
        <label>
          {t('search.mode')}
          <select
            value={mode}
            onChange={(e) => {
              setMode(e.target.value);
              setClinicianId('');
            }}
          >
            <option value="online">{t('mode.online')}</option>
            <option value="in_person">{t('mode.in_person')}</option>
          </select>
        </label>
        <label>
          {t('desk.clinician')}
          <select value={clinicianId} onChange={(e) => setClinicianId(e.target.value)}>
            <option value="">{t('desk.chooseClinician')}</option>
            {clinicians.data?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.fullName} · {c.specialization}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorText error={book.error ?? clinicians.error ?? slots.error} />
      {book.data && <Booked result={book.data} patient={patient} clinicianName={clinician?.fullName} />}
      {book.isPending && <p role="status">{t('book.booking')}</p>}
      {slots.data && (
        <SlotDays
          timeZone={slots.data.timeZone}
          slots={slots.data.slots}
          busy={book.isPending}
          onChoose={(s) => book.mutate(s)}
        />
      )}
    </>
  );
}

/** A free booking is confirmed at once; a paid one is only held until the patient pays at the checkout. */
function Booked(props: { result: Initiated; patient: Patient; clinicianName?: string }) {
  const { t } = useTranslation();
  const { appointment, payment } = props.result;
  const now = useNow();
  const what = t('desk.what', {
    patient: props.patient.fullName ?? t('desk.noName'),
    clinician: props.clinicianName ?? '',
    time: formatDateTime(appointment.startAt, myZone()),
  });
  const minutes = payment
    ? Math.max(0, Math.ceil((new Date(payment.expiresAt).getTime() - now) / 60_000))
    : 0;
  return (
    <div className="card booked" data-status={appointment.status} role="status">
      {payment ? (
        <>
          <p className="status PENDING_PAYMENT">
            {t('desk.held', { time: clockTime(payment.expiresAt), minutes })}
          </p>
          <p>{what}</p>
          <p>{formatMoney(payment)}</p>
          {payment.checkoutUrl ? (
            <a className="button" href={payment.checkoutUrl} target="_blank" rel="noopener">
              {t('desk.openCheckout')}
            </a>
          ) : (
            <p className="muted">{t('desk.noCheckout')}</p>
          )}
        </>
      ) : (
        <>
          <p className="status CONFIRMED">{t('status.CONFIRMED')}</p>
          <p>{what}</p>
        </>
      )}
    </div>
  );
}

/** Today's appointments across clinicians (the desk's local day). */
function DayAppointments() {
  const { t } = useTranslation();
  const [date, setDate] = useState(() => isoDay(new Date()));
  const from = new Date(`${date}T00:00:00`);
  const list = useQuery({
    queryKey: ['desk-day', date],
    queryFn: () =>
      api<{ items: AppointmentView[] }>(
        'GET',
        `/api/admin/appointments?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(addDays(from, 1).toISOString())}&limit=200`,
      ).then((p) => p.items),
    refetchInterval: 30_000,
  });
  return (
    <div className="card">
      <h2>{t('desk.dayTitle')}</h2>
      <label>
        {t('day.date')}
        <input type="date" value={date} onChange={(e) => setDate(e.target.value)} />
      </label>
      <QueryView query={list} empty={(l) => l.length === 0} emptyText={t('day.none')}>
        {(l) => (
          <DataTable
            caption={t('desk.dayTitle')}
            columns={[
              t('table.time'),
              t('table.clinician'),
              t('table.mode'),
              t('table.status'),
              t('table.payment'),
            ]}
          >
            {[...l]
              .sort((a, b) => a.startAt.localeCompare(b.startAt))
              .map((a) => (
                <tr key={a.id} data-status={a.status}>
                  <td>{clockTime(a.startAt)}</td>
                  <td>{a.clinician?.fullName}</td>
                  <td>{a.mode === 'online' ? t('mode.online') : (a.centre?.name ?? t('mode.in_person'))}</td>
                  <td>{t(`status.${a.status}`)}</td>
                  <td>{paymentCell(t, a.payment)}</td>
                </tr>
              ))}
          </DataTable>
        )}
      </QueryView>
    </div>
  );
}
