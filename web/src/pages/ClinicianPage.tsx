import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, api, formatMoney, formatTime, type Money, session } from '../api';
import { PENDING_APPOINTMENT_KEY } from './PaymentReturnPage';

type Slot = { startAt: string; endAt: string; mode: string; centreId: string | null; status: string };
type Clinician = {
  id: string;
  fullName: string;
  specialization: string;
  fee: Money;
  timeZone: string;
  modes: string[];
};
type Initiated = { appointment: { id: string; status: string }; payment: null | { checkoutUrl?: string } };

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/** Slots grouped by their day in the clinician's zone, in order. */
function byDay(slots: Slot[], timeZone: string): Array<{ day: string; slots: Slot[] }> {
  const label = new Intl.DateTimeFormat(undefined, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    timeZone,
  });
  const days = new Map<string, Slot[]>();
  for (const s of slots) {
    const day = label.format(new Date(s.startAt));
    days.set(day, [...(days.get(day) ?? []), s]);
  }
  return [...days].map(([day, list]) => ({ day, slots: list }));
}

const clockTime = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));

export function ClinicianPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const [mode, setMode] = useState('online');
  const [error, setError] = useState<string | null>(null);
  const from = new Date();
  const to = new Date(from.getTime() + 7 * 86_400_000);
  const clinician = useQuery({
    queryKey: ['clinician', id],
    queryFn: () => api<Clinician>('GET', `/api/clinicians/${id}`),
  });
  const slots = useQuery({
    queryKey: ['slots', id, mode],
    queryFn: () =>
      api<{ timeZone: string; slots: Slot[] }>(
        'GET',
        `/api/clinicians/${id}/slots?from=${isoDate(from)}&to=${isoDate(to)}&mode=${mode}`,
      ),
  });
  const book = useMutation({
    mutationFn: (slot: Slot) =>
      api<Initiated>('POST', '/api/booking/initiate', {
        clinicianId: id,
        startAt: slot.startAt,
        mode: slot.mode,
        ...(slot.centreId ? { centreId: slot.centreId } : {}),
      }),
    onSuccess: (res) => {
      if (res.payment?.checkoutUrl) {
        sessionStorage.setItem(PENDING_APPOINTMENT_KEY, res.appointment.id);
        window.location.assign(res.payment.checkoutUrl);
      } else navigate('/appointments');
    },
    onError: (err) => setError(err instanceof ApiError ? err.message : 'Booking failed.'),
  });
  const choose = (slot: Slot) => {
    if (!session.get()) return navigate(`/login?next=/clinicians/${id}`);
    setError(null);
    book.mutate(slot);
  };
  const c = clinician.data;
  return (
    <section>
      {c && (
        <div className="card">
          <h1>{c.fullName}</h1>
          <p>
            {c.specialization} · {formatMoney(c.fee)}
          </p>
        </div>
      )}
      <div className="filters">
        <select value={mode} onChange={(e) => setMode(e.target.value)}>
          <option value="online">Online</option>
          <option value="in_person">In person</option>
        </select>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {slots.data && slots.data.slots.length === 0 && (
        <p className="muted">No free slots in the next 7 days.</p>
      )}
      {slots.data && slots.data.slots.length > 0 && (
        <p className="muted">Times are in the clinician's time zone ({slots.data.timeZone}).</p>
      )}
      {slots.data &&
        byDay(slots.data.slots, slots.data.timeZone).map(({ day, slots: list }) => (
          <div key={day} className="day">
            <h2>{day}</h2>
            <div className="slots">
              {list.map((s) => (
                <button
                  type="button"
                  key={s.startAt + s.mode}
                  className={`slot ${s.status}`}
                  title={`${formatTime(s.startAt, slots.data.timeZone)} (${s.status})`}
                  disabled={s.status !== 'available' || book.isPending}
                  onClick={() => choose(s)}
                >
                  {clockTime(s.startAt, slots.data.timeZone)}
                </button>
              ))}
            </div>
          </div>
        ))}
    </section>
  );
}
