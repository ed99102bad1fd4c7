import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, type Money } from './api';
import { addDays, clockTime, formatDateTime, formatDay, isoDay, myZone } from './format';

/** Slot search and booking pieces shared by the patient's clinician page, rescheduling and the front desk. */
export type Slot = { startAt: string; endAt: string; mode: string; centreId: string | null; status: string };
export type Checkout = {
  paymentId: string;
  provider: string;
  orderId: string;
  amount: number;
  currency: string;
  checkoutUrl?: string | null;
  /** Razorpay: the key id its Checkout widget opens with. */
  keyId?: string | null;
  expiresAt: string;
};
export type Initiated = {
  appointment: {
    id: string;
    status: string;
    startAt: string;
    holdExpiresAt: string | null;
    price: Money;
    paymentId: string | null;
  };
  payment: Checkout | null;
};

/** Slots grouped by their day in `zone`, in order. */
export function byDay(slots: Slot[], zone: string): Array<{ day: string; slots: Slot[] }> {
  const days = new Map<string, Slot[]>();
  for (const s of slots) {
    const day = formatDay(s.startAt, zone);
    days.set(day, [...(days.get(day) ?? []), s]);
  }
  return [...days].map(([day, list]) => ({ day, slots: list }));
}

/**
 * A clinician's slots in one mode over the next 7 days (none while `clinicianId` is empty), or the
 * 7 days from `from` (a chosen slot further ahead). The dates asked for are the clinician's; one day
 * either side covers the patient's zone.
 */
export function useWeekOfSlots(clinicianId: string | undefined, mode: string, from?: Date) {
  const fromDay = from ? isoDay(addDays(from, -1)) : undefined;
  return useQuery({
    queryKey: ['slots', clinicianId, mode, fromDay ?? 'today'],
    enabled: !!clinicianId,
    queryFn: () => {
      const start = fromDay ?? isoDay(new Date());
      const end = isoDay(addDays(new Date(`${start}T12:00:00Z`), 7));
      return api<{ timeZone: string; slots: Slot[] }>(
        'GET',
        `/api/clinicians/${clinicianId}/slots?from=${start}&to=${end}&mode=${mode}`,
      );
    },
  });
}

/** Says which zone times are in, and the clinician's when it differs from the viewer's. */
export function ZoneNote({ clinicianZone }: { clinicianZone: string }) {
  const { t } = useTranslation();
  const mine = myZone();
  return (
    <p className="muted zone-note">
      {mine === clinicianZone
        ? t('slots.zoneSame', { zone: mine })
        : t('slots.zoneDiffers', { mine, theirs: clinicianZone })}
    </p>
  );
}

/** The slots of a week in the viewer's zone, one row of buttons per day; only free ones can be chosen. */
export function SlotDays(props: {
  timeZone: string;
  slots: Slot[];
  busy: boolean;
  chosen?: string | null;
  onChoose: (slot: Slot) => void;
}) {
  const { t } = useTranslation();
  const { timeZone, slots, busy, onChoose } = props;
  const zone = myZone();
  if (slots.length === 0) return <p className="muted empty">{t('slots.none')}</p>;
  return (
    <>
      <ZoneNote clinicianZone={timeZone} />
      {byDay(slots, zone).map(({ day, slots: list }) => (
        <section key={day} className="day" aria-labelledby={`day-${list[0]!.startAt}`}>
          <h2 id={`day-${list[0]!.startAt}`}>{day}</h2>
          <div className="slots">
            {list.map((s) => {
              const theirs =
                zone === timeZone
                  ? ''
                  : ` (${t('slots.theirTime', { time: formatDateTime(s.startAt, timeZone) })})`;
              return (
                <button
                  type="button"
                  key={s.startAt + s.mode}
                  className={`slot ${s.status} ${props.chosen === s.startAt ? 'chosen' : ''}`}
                  aria-label={`${day} ${clockTime(s.startAt, zone)}${theirs}${s.status === 'available' ? '' : ` — ${t(`slots.${s.status}`)}`}`}
                  aria-pressed={props.chosen === s.startAt}
                  title={`${formatDateTime(s.startAt, zone)}${theirs}`}
                  disabled={s.status !== 'available' || busy}
                  onClick={() => onChoose(s)}
                >
                  {clockTime(s.startAt, zone)}
                </button>
              );
            })}
          </div>
        </section>
      ))}
    </>
  );
}
