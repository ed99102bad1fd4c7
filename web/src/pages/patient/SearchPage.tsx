import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { AboutLines } from '../../about';
import { api } from '../../api';
import { initials, type ListedClinician, useCentres, useClinicians } from '../../catalog';
import { formatDate, formatMoney, formatSlotStart, isoDay, myZone } from '../../format';
import type { Slot } from '../../slots';
import { PageTitle, QueryView } from '../../ui';
import { useQueryState } from '../../url';

/** Find a clinician by name or specialization, online or in person, centre or city. Filters live in the URL. */
export function SearchPage() {
  const { t } = useTranslation();
  const { get, set: setAll } = useQueryState();
  const q = get('q');
  const mode = get('mode');
  const centreId = get('centre');
  const city = get('city');
  const date = get('date');
  const set = (key: string, value: string) =>
    setAll(key === 'city' ? { city: value, centre: null } : { [key]: value });
  const centres = useCentres();
  const clinicians = useClinicians({ q, mode, centreId });
  const firstFree = useFirstFreeOn(date, mode, centreId);
  const shown = (list: ListedClinician[]) =>
    list
      .filter((c) => !city || c.centres.some((x) => x.city === city))
      .filter((c) => !date || firstFree.data?.has(c.id));
  // While a date is chosen, the list waits for that day's slots too.
  const dateQuery: UseQueryResult<unknown> = date ? firstFree : clinicians;
  const cities = [...new Set((centres.data ?? []).map((c) => c.city))].sort();
  const centresInCity = (centres.data ?? []).filter((c) => !city || c.city === city);
  return (
    <section>
      <PageTitle>{t('search.title')}</PageTitle>
      <form className="filters" aria-label={t('search.filters')} onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('search.query')}
          <input
            type="search"
            value={q}
            placeholder={t('search.queryHint')}
            onChange={(e) => set('q', e.target.value)}
          />
        </label>
        <label>
          {t('search.mode')}
          <select value={mode} onChange={(e) => set('mode', e.target.value)}>
            <option value="">{t('search.anyMode')}</option>
            <option value="online">{t('mode.online')}</option>
            <option value="in_person">{t('mode.in_person')}</option>
          </select>
        </label>
        <label>
          {t('search.city')}
          <select value={city} onChange={(e) => set('city', e.target.value)}>
            <option value="">{t('search.anyCity')}</option>
            {cities.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('search.centre')}
          <select value={centreId} onChange={(e) => set('centre', e.target.value)}>
            <option value="">{t('search.anyCentre')}</option>
            {centresInCity.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}, {c.city}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('search.date')}
          <input
            type="date"
            value={date}
            min={isoDay(new Date())}
            onChange={(e) => set('date', e.target.value)}
          />
        </label>
      </form>
      <QueryView query={dateQuery} empty={() => false} emptyText="">
        {() => (
          <QueryView
            query={clinicians}
            empty={(list) => shown(list).length === 0}
            emptyText={
              date
                ? t('search.noneOnDate', { date: formatDate(`${date}T12:00:00Z`, 'UTC') })
                : t('search.noResults')
            }
          >
            {(list) => (
              <ul className="grid" aria-label={t('search.results')}>
                {shown(list).map((c) => (
                  <li key={c.id} className="card clinician">
                    <div className="avatar" aria-hidden="true">
                      {initials(c.fullName)}
                    </div>
                    <div>
                      <h2>
                        <Link to={`/clinicians/${c.id}`}>{c.fullName}</Link>
                      </h2>
                      <p>{c.specialization}</p>
                      <AboutLines c={c} />
                      <p className="muted">
                        {c.centres.map((x) => `${x.name}, ${x.city}`).join(' · ') || t('search.onlineOnly')}
                      </p>
                      <p>
                        {formatMoney(c.fee)} · {c.modes.map((m) => t(`mode.${m}`)).join(', ')}
                      </p>
                      {date ? (
                        <NextSlotLine c={{ ...c, nextAvailableSlot: firstFree.data?.get(c.id) }} onDate />
                      ) : (
                        <NextSlotLine c={c} />
                      )}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </QueryView>
        )}
      </QueryView>
    </section>
  );
}

/** "Next available: …" in the patient's zone with a link that opens the clinician's page with it chosen. */
function NextSlotLine({ c, onDate = false }: { c: ListedClinician; onDate?: boolean }) {
  const { t } = useTranslation();
  const next = c.nextAvailableSlot;
  if (next === undefined) return null;
  if (next === null)
    return c.bookingHorizonDays ? (
      <p className="muted next-slot">{t('search.noSlots', { count: c.bookingHorizonDays })}</p>
    ) : null;
  const when = formatSlotStart(next.startAt, myZone());
  const centre = c.centres.find((x) => x.id === next.centreId);
  const where = centre ? t('search.atCentre', { centre: centre.name }) : t('search.online');
  return (
    <p className="next-slot">
      {t(onDate ? 'search.firstOnDate' : 'search.nextSlot', { when, where })}{' '}
      <Link
        to={`/clinicians/${c.id}?mode=${next.mode}&slot=${encodeURIComponent(next.startAt)}`}
        aria-label={t('search.bookNextLabel', { name: c.fullName, when })}
      >
        {t('search.bookNext')}
      </Link>
    </p>
  );
}

/**
 * Each clinician's first available slot on `date` (the clinician's own date, as `/api/slots` reads it),
 * keyed by clinician id; clinicians with nothing free that day are absent. Idle while no date is chosen.
 */
function useFirstFreeOn(date: string, mode: string, centreId: string) {
  const params = new URLSearchParams({ date });
  if (mode) params.set('mode', mode);
  if (centreId) params.set('centreId', centreId);
  return useQuery({
    queryKey: ['slots-on', params.toString()],
    enabled: !!date,
    queryFn: async () => {
      const found = await api<Array<{ clinician: { id: string }; slots: Slot[] }>>(
        'GET',
        `/api/slots?${params}`,
      );
      const first = new Map<string, Slot>();
      for (const { clinician, slots } of found) {
        const free = slots
          .filter((s) => s.status === 'available')
          .sort((a, b) => Date.parse(a.startAt) - Date.parse(b.startAt))[0];
        if (free) first.set(clinician.id, free);
      }
      return first;
    },
  });
}
