import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { AboutLines } from '../../about';
import { api } from '../../api';
import { initials, useClinician } from '../../catalog';
import { PayForHold } from '../../checkout';
import { formatDateTime, formatMoney, myZone } from '../../format';
import { type Initiated, type Slot, SlotDays, useWeekOfSlots } from '../../slots';
import { ErrorText, PageTitle, QueryView, useSession } from '../../ui';
import { useQueryState } from '../../url';

const DAY = 86_400_000;

/**
 * A clinician and their free slots. The chosen slot lives in the URL, so it survives signing in:
 * a visitor who picks one signs in and comes back to the same choice, ready to book.
 */
export function ClinicianPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const navigate = useNavigate();
  const s = useSession();
  const client = useQueryClient();
  const { params, set } = useQueryState();
  const chosen = params.get('slot');
  const clinician = useClinician(id);
  const modes = clinician.data?.modes ?? ['online'];
  const mode = params.get('mode') ?? modes[0] ?? 'online';
  // A chosen slot past the coming week (the search links its "next available" one): the week starts there.
  const chosenAt = chosen ? Date.parse(chosen) : Number.NaN;
  const slots = useWeekOfSlots(id, mode, chosenAt > Date.now() + 6 * DAY ? new Date(chosenAt) : undefined);
  const chosenSlot = slots.data?.slots.find((x) => x.startAt === chosen && x.status === 'available');
  const book = useMutation({
    mutationFn: (slot: Slot) =>
      api<Initiated>('POST', '/api/booking/initiate', {
        clinicianId: id,
        startAt: slot.startAt,
        mode: slot.mode,
        ...(slot.centreId ? { centreId: slot.centreId } : {}),
      }),
    onSettled: () => client.invalidateQueries({ queryKey: ['slots', id] }),
  });
  const setParam = (key: string, value: string | null) =>
    set(key === 'mode' ? { mode: value, slot: null } : { [key]: value });
  const loginFor = (startAt: string) =>
    `/login?next=${encodeURIComponent(`/clinicians/${id}?mode=${mode}&slot=${encodeURIComponent(startAt)}`)}`;
  const choose = (slot: Slot) => {
    book.reset();
    if (!s) {
      navigate(loginFor(slot.startAt));
      return;
    }
    setParam('slot', slot.startAt);
  };
  const c = clinician.data;
  const centre = c?.centres.find((x) => x.id === chosenSlot?.centreId);
  const what =
    chosenSlot && c
      ? `${c.fullName} · ${formatDateTime(chosenSlot.startAt, myZone())}${centre ? ` · ${centre.name}` : ''}`
      : '';
  return (
    <section>
      <QueryView query={clinician}>
        {(c) => (
          <div className="card clinician">
            <div className="avatar" aria-hidden="true">
              {initials(c.fullName)}
            </div>
            <div>
              <PageTitle>{c.fullName}</PageTitle>
              <p>
                {c.specialization} · {formatMoney(c.fee)}
              </p>
              <AboutLines c={c} />
              {c.centres.map((x) => (
                <p key={x.id} className="muted">
                  {x.name}, {x.address}, {x.city}
                </p>
              ))}
            </div>
          </div>
        )}
      </QueryView>
      {modes.length > 1 && (
        <div className="filters">
          <label>
            {t('search.mode')}
            <select value={mode} onChange={(e) => setParam('mode', e.target.value)}>
              {modes.map((m) => (
                <option key={m} value={m}>
                  {t(`mode.${m}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {book.data?.payment ? (
        <PayForHold
          appointmentId={book.data.appointment.id}
          payment={book.data.payment}
          what={what}
          onRestart={() => {
            book.reset();
            setParam('slot', null);
          }}
        />
      ) : book.data ? (
        <div className="card booked" data-status="CONFIRMED" role="status">
          <h2>{t('book.confirmedTitle')}</h2>
          <p>{what}</p>
          <Link className="button" to={`/appointments/${book.data.appointment.id}`}>
            {t('book.seeAppointment')}
          </Link>
        </div>
      ) : chosenSlot && !s ? (
        <section className="card booked" aria-labelledby="sign-in-title">
          <h2 id="sign-in-title">{t('book.signInToBook')}</h2>
          <p>{what}</p>
          <p className="muted">{t('book.signInHelp')}</p>
          <Link className="button" to={loginFor(chosenSlot.startAt)}>
            {t('nav.signIn')}
          </Link>
        </section>
      ) : (
        chosenSlot &&
        s && (
          <section className="card booked" aria-labelledby="confirm-title">
            <h2 id="confirm-title">{t('book.reviewTitle')}</h2>
            <p>{what}</p>
            {c && <p>{t('book.fee', { amount: formatMoney(c.fee) })}</p>}
            <p className="muted">{t('book.cancelRule')}</p>
            <div className="actions">
              <button type="button" onClick={() => book.mutate(chosenSlot)} disabled={book.isPending}>
                {book.isPending ? t('book.booking') : t('book.confirm')}
              </button>
              <button type="button" className="secondary" onClick={() => setParam('slot', null)}>
                {t('book.another')}
              </button>
            </div>
            <ErrorText error={book.error} />
          </section>
        )
      )}
      {!book.data && chosen && slots.data && !chosenSlot && (
        <p className="error" role="alert">
          {t('book.slotGone')}
        </p>
      )}
      {!book.data && (
        <>
          <h2>{t('book.chooseSlot')}</h2>
          <QueryView query={slots}>
            {(d) => (
              <SlotDays
                timeZone={d.timeZone}
                slots={d.slots}
                busy={book.isPending}
                chosen={chosen}
                onChoose={choose}
              />
            )}
          </QueryView>
        </>
      )}
    </section>
  );
}
