import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, api, formatMoney, type Money, session } from '../api';
import { type Initiated, type Slot, SlotDays, useWeekOfSlots } from '../slots';
import { PENDING_APPOINTMENT_KEY } from './PaymentReturnPage';

type Clinician = {
  id: string;
  fullName: string;
  specialization: string;
  fee: Money;
  timeZone: string;
  modes: string[];
};

export function ClinicianPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const [mode, setMode] = useState('online');
  const [error, setError] = useState<string | null>(null);
  const clinician = useQuery({
    queryKey: ['clinician', id],
    queryFn: () => api<Clinician>('GET', `/api/clinicians/${id}`),
  });
  const slots = useWeekOfSlots(id, mode);
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
      {slots.data && (
        <SlotDays
          timeZone={slots.data.timeZone}
          slots={slots.data.slots}
          busy={book.isPending}
          onChoose={choose}
        />
      )}
    </section>
  );
}
