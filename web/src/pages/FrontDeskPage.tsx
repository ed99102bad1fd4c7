import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api, formatTime } from '../api';
import { useClinicians } from '../catalog';
import { useSession } from '../Layout';
import { clockTime, type Initiated, type Slot, SlotDays, useWeekOfSlots } from '../slots';

type Patient = { id: string; fullName: string | null; phone: string; email: string | null };

const message = (err: unknown, fallback: string) => (err instanceof ApiError ? err.message : fallback);

/** Staff and admins book for a patient at the desk: find or register them, pick a slot, book. */
export function FrontDeskPage() {
  const s = useSession();
  const [patient, setPatient] = useState<Patient | null>(null);
  if (s?.user.role !== 'staff' && s?.user.role !== 'admin')
    return (
      <section className="card narrow">
        <h1>Front desk</h1>
        <p>
          For the clinic's staff. <Link to="/login?next=/front-desk">Sign in</Link>
        </p>
      </section>
    );
  return (
    <section>
      <h1>Front desk</h1>
      {patient ? (
        <div className="card actions">
          <p>
            Booking for <strong>{patient.fullName ?? 'a patient without a name'}</strong> ({patient.phone})
          </p>
          <button type="button" className="secondary" onClick={() => setPatient(null)}>
            Another patient
          </button>
        </div>
      ) : (
        <FindPatient onFound={setPatient} />
      )}
      {patient && <BookForPatient key={patient.id} patient={patient} />}
    </section>
  );
}

function FindPatient({ onFound }: { onFound: (p: Patient) => void }) {
  const [phone, setPhone] = useState('');
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [notFound, setNotFound] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const lookup = useMutation({
    mutationFn: () => api<Patient[]>('GET', `/api/patients?phone=${encodeURIComponent(phone)}`),
    onSuccess: (list) => (list[0] ? onFound(list[0]) : setNotFound(true)),
    onError: (err) => setError(message(err, 'Could not look the number up.')),
  });
  const register = useMutation({
    mutationFn: () => api<Patient>('POST', '/api/patients', { phone, fullName, ...(email ? { email } : {}) }),
    onSuccess: onFound,
    onError: (err) => setError(message(err, 'Could not register the patient.')),
  });
  const find = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNotFound(false);
    lookup.mutate();
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    register.mutate();
  };
  return (
    <div className="card">
      <form onSubmit={find}>
        <label>
          Patient's mobile number
          <input
            name="phone"
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
          Find patient
        </button>
      </form>
      {notFound && (
        <form onSubmit={add}>
          <p className="muted">No patient has this number. Register them as a walk-in:</p>
          <label>
            Full name
            <input name="fullName" value={fullName} onChange={(e) => setFullName(e.target.value)} required />
          </label>
          <label>
            Email (optional)
            <input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <button type="submit" disabled={register.isPending}>
            Register patient
          </button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function BookForPatient({ patient }: { patient: Patient }) {
  const queryClient = useQueryClient();
  const [mode, setMode] = useState('online');
  const [clinicianId, setClinicianId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const clinicians = useClinicians('', mode);
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
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['slots', clinicianId] }),
    onError: (err) => setError(message(err, 'Booking failed.')),
  });
  const clinician = clinicians.data?.find((c) => c.id === clinicianId);
  const timeZone = slots.data?.timeZone;
  return (
    <>
      <div className="filters">
        <label>
          Mode
          <select
            value={mode}
            onChange={(e) => {
              setMode(e.target.value);
              setClinicianId('');
            }}
          >
            <option value="online">Online</option>
            <option value="in_person">In person</option>
          </select>
        </label>
        <label>
          Clinician
          <select value={clinicianId} onChange={(e) => setClinicianId(e.target.value)}>
            <option value="">Choose a clinician</option>
            {clinicians.data?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.fullName} · {c.specialization}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {book.data && (
        <Booked
          result={book.data}
          patient={patient}
          clinicianName={clinician?.fullName}
          timeZone={timeZone}
        />
      )}
      {slots.data && (
        <SlotDays
          timeZone={slots.data.timeZone}
          slots={slots.data.slots}
          busy={book.isPending}
          onChoose={(slot) => {
            setError(null);
            book.mutate(slot);
          }}
        />
      )}
    </>
  );
}

/** A free booking is confirmed at once; a paid one is only held until the patient pays at the checkout. */
function Booked(props: { result: Initiated; patient: Patient; clinicianName?: string; timeZone?: string }) {
  const { appointment, payment } = props.result;
  const what = `${props.patient.fullName ?? 'The patient'} with ${props.clinicianName ?? 'the clinician'}, ${formatTime(appointment.startAt, props.timeZone)}`;
  return (
    <div className="card booked" data-status={appointment.status} role="status">
      {payment ? (
        <>
          <p className="status PENDING_PAYMENT">
            Held until {clockTime(payment.expiresAt)}: not booked until paid
          </p>
          <p>{what}</p>
          {payment.checkoutUrl ? (
            <a className="button" href={payment.checkoutUrl} target="_blank" rel="noreferrer">
              Open the checkout with the patient
            </a>
          ) : (
            <p className="muted">This gateway has no checkout link; the patient pays in the app.</p>
          )}
        </>
      ) : (
        <>
          <p className="status CONFIRMED">Confirmed</p>
          <p>{what}</p>
        </>
      )}
    </div>
  );
}
