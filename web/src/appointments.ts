import { useQuery } from '@tanstack/react-query';
import { api, type Money } from './api';
import type { Centre } from './catalog';
import { formatMoney } from './format';

/** An appointment as the dashboards show it (GET /api/patient-dashboard/appointments/:id). */
export type AppointmentView = {
  id: string;
  status: string;
  startAt: string;
  endAt: string;
  mode: string;
  patientId: string;
  clinician: { id: string; fullName: string; specialization: string } | null;
  centre: Centre | null;
  payment: ({ status: string } & Money) | null;
  /** The appointment's current payment (`GET /api/payment/:id`, admin refunds); null when free. */
  paymentId: string | null;
  /** The clinician's IANA time zone. */
  clinicianTimeZone: string;
  meetLink: string | null;
  holdExpiresAt: string | null;
  source: string;
  cancelReason: string | null;
  noShowReview: boolean;
};

/** Patients may cancel or move a confirmed appointment until this many hours before it starts. */
export const CANCELLATION_WINDOW_HOURS = 24;

export const changeDeadline = (a: { startAt: string }) =>
  new Date(new Date(a.startAt).getTime() - CANCELLATION_WINDOW_HOURS * 3_600_000);

export const waitingForLink = (a: AppointmentView) =>
  a.mode === 'online' && a.status === 'CONFIRMED' && !a.meetLink && new Date(a.endAt).getTime() > Date.now();

/**
 * One appointment; while an online one waits for its meeting link it is re-read every few seconds
 * (the notification stream usually brings the change sooner).
 */
export function useAppointment(id: string | undefined) {
  return useQuery({
    queryKey: ['appointment', id],
    enabled: !!id,
    queryFn: () => api<AppointmentView>('GET', `/api/patient-dashboard/appointments/${id}`),
    refetchInterval: (q) => (q.state.data && waitingForLink(q.state.data) ? 4000 : false),
  });
}

const icsDate = (iso: string) =>
  new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
const icsText = (s: string) => s.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');

/** An iCalendar file for the appointment, as a data: URL to download. */
export function icsHref(a: AppointmentView, title: string, stamp: Date): string {
  const where = a.centre ? `${a.centre.name}, ${a.centre.address}, ${a.centre.city}` : (a.meetLink ?? '');
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Carebook//Appointments//EN',
    'CALSCALE:GREGORIAN',
    'BEGIN:VEVENT',
    `UID:${a.id}@carebook`,
    `DTSTAMP:${icsDate(stamp.toISOString())}`,
    `DTSTART:${icsDate(a.startAt)}`,
    `DTEND:${icsDate(a.endAt)}`,
    `SUMMARY:${icsText(title)}`,
    ...(where ? [`LOCATION:${icsText(where)}`] : []),
    ...(a.meetLink ? [`URL:${a.meetLink}`] : []),
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `data:text/calendar;charset=utf-8,${encodeURIComponent(lines.join('\r\n'))}`;
}

export function googleCalendarHref(a: AppointmentView, title: string): string {
  const q = new URLSearchParams({
    action: 'TEMPLATE',
    text: title,
    dates: `${icsDate(a.startAt)}/${icsDate(a.endAt)}`,
    details: a.meetLink ?? '',
    location: a.centre ? `${a.centre.name}, ${a.centre.address}, ${a.centre.city}` : (a.meetLink ?? ''),
  });
  return `https://calendar.google.com/calendar/render?${q}`;
}

/** An appointment's payment in a table cell: amount and status, or a dash when there is none. */
export const paymentCell = (
  t: (key: string, options: { defaultValue: string }) => string,
  payment: AppointmentView['payment'],
) =>
  payment
    ? `${formatMoney(payment)} · ${t(`payStatus.${payment.status}`, { defaultValue: payment.status })}`
    : '—';
