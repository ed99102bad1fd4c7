import { useQuery } from '@tanstack/react-query';
import { api, formatTime } from './api';

/** Slot search and booking pieces shared by the patient's clinician page and the front desk. */
export type Slot = { startAt: string; endAt: string; mode: string; centreId: string | null; status: string };
export type Initiated = {
  appointment: { id: string; status: string; startAt: string; holdExpiresAt: string | null };
  payment: null | { checkoutUrl?: string | null; expiresAt: string };
};

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/** Slots grouped by their day in the clinician's zone, in order. */
export function byDay(slots: Slot[], timeZone: string): Array<{ day: string; slots: Slot[] }> {
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

export const clockTime = (iso: string, timeZone?: string) =>
  new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));

/** A clinician's slots in one mode over the next 7 days (none while `clinicianId` is empty). */
export function useWeekOfSlots(clinicianId: string | undefined, mode: string) {
  return useQuery({
    queryKey: ['slots', clinicianId, mode],
    enabled: !!clinicianId,
    queryFn: () => {
      const from = new Date();
      const to = new Date(from.getTime() + 7 * 86_400_000);
      return api<{ timeZone: string; slots: Slot[] }>(
        'GET',
        `/api/clinicians/${clinicianId}/slots?from=${isoDate(from)}&to=${isoDate(to)}&mode=${mode}`,
      );
    },
  });
}

/** The slots of a week, one row of buttons per day; only available ones can be chosen. */
export function SlotDays(props: {
  timeZone: string;
  slots: Slot[];
  busy: boolean;
  onChoose: (slot: Slot) => void;
}) {
  const { timeZone, slots, busy, onChoose } = props;
  if (slots.length === 0) return <p className="muted">No free slots in the next 7 days.</p>;
  return (
    <>
      <p className="muted">Times are in the clinician's time zone ({timeZone}).</p>
      {byDay(slots, timeZone).map(({ day, slots: list }) => (
        <div key={day} className="day">
          <h2>{day}</h2>
          <div className="slots">
            {list.map((s) => (
              <button
                type="button"
                key={s.startAt + s.mode}
                className={`slot ${s.status}`}
                title={`${formatTime(s.startAt, timeZone)} (${s.status})`}
                disabled={s.status !== 'available' || busy}
                onClick={() => onChoose(s)}
              >
                {clockTime(s.startAt, timeZone)}
              </button>
            ))}
          </div>
        </div>
      ))}
    </>
  );
}
