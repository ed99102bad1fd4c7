import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { useCentres } from '../../catalog';
import { formatDateTime } from '../../format';
import { ErrorText, PageTitle, QueryView, RequireRole, Success, useSession } from '../../ui';

type Rule = {
  weekday: number;
  start: string;
  end: string;
  mode: string;
  centreId: string | null;
  slotMinutes: number;
};
type Shift = { weekday: number; start: string; end: string };
type TimeOff = { id: string; startAt: string; endAt: string; reason: string };
type Schedule = { clinicianId: string; timeZone: string; rules: Rule[]; shifts: Shift[]; timeOff: TimeOff[] };

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

export function SchedulePage() {
  const { t } = useTranslation();
  const s = useSession();
  return (
    <RequireRole roles={['clinician']}>
      <section>
        <PageTitle>{t('schedule.title')}</PageTitle>
        {s && <ScheduleEditor clinicianId={s.user.id} />}
      </section>
    </RequireRole>
  );
}

/** Weekly availability, on-call shifts and time off of one clinician (the clinician or an admin). */
export function ScheduleEditor({ clinicianId }: { clinicianId: string }) {
  const schedule = useQuery({
    queryKey: ['schedule', clinicianId],
    queryFn: () => api<Schedule>('GET', `/api/clinicians/${clinicianId}/availability`),
  });
  return (
    <QueryView query={schedule}>
      {(sc) => (
        <>
          <RulesEditor schedule={sc} />
          <ShiftsEditor schedule={sc} />
          <TimeOffEditor schedule={sc} />
        </>
      )}
    </QueryView>
  );
}

function useSave<T>(clinicianId: string, path: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: T) => api<Schedule>('PUT', `/api/clinicians/${clinicianId}/${path}`, body),
    onSuccess: (saved) => client.setQueryData(['schedule', clinicianId], saved),
  });
}

function WeekdaySelect(props: { value: number; onChange: (n: number) => void; label: string }) {
  const { t } = useTranslation();
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(Number(e.target.value))}>
        {WEEKDAYS.map((d) => (
          <option key={d} value={d}>
            {t(`weekday.${d}`)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Rows edited in place until they are saved together; a change to a row clears the last save's outcome. */
function useRows<R>(initial: R[], onChange: () => void) {
  const [rows, setRows] = useState<R[]>(initial);
  return {
    rows,
    update: (i: number, patch: Partial<R>) => {
      onChange();
      setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
    },
    add: (row: R) => setRows([...rows, row]),
    remove: (i: number) => setRows(rows.filter((_, j) => j !== i)),
  };
}

/** One numbered row of a weekly editor, with its remove button after its fields. */
function RowFieldset(props: { legend: string; onRemove: () => void; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <fieldset className="row">
      <legend>{props.legend}</legend>
      {props.children}
      <button type="button" className="secondary" onClick={props.onRemove}>
        {t('schedule.remove')}
      </button>
    </fieldset>
  );
}

/** A weekday with start and end times: the fields rules and shifts share. */
function WeeklyTimeFields({ row, onChange }: { row: Shift; onChange: (patch: Partial<Shift>) => void }) {
  const { t } = useTranslation();
  return (
    <>
      <WeekdaySelect
        label={t('schedule.weekday')}
        value={row.weekday}
        onChange={(weekday) => onChange({ weekday })}
      />
      <label>
        {t('schedule.start')}
        <input type="time" value={row.start} onChange={(e) => onChange({ start: e.target.value })} required />
      </label>
      <label>
        {t('schedule.end')}
        <input type="time" value={row.end} onChange={(e) => onChange({ end: e.target.value })} required />
      </label>
    </>
  );
}

/** The add and save buttons of a weekly editor, then how its last save went. */
function EditorFooter(props: {
  save: { isPending: boolean; isSuccess: boolean; error: unknown };
  addLabel: string;
  onAdd: () => void;
  saveLabel: string;
}) {
  const { t } = useTranslation();
  const { save } = props;
  return (
    <>
      <div className="actions">
        <button type="button" className="secondary" onClick={props.onAdd}>
          {props.addLabel}
        </button>
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? t('common.saving') : props.saveLabel}
        </button>
      </div>
      {save.isSuccess && <Success>{t('schedule.saved')}</Success>}
      <ErrorText error={save.error} />
    </>
  );
}

function RulesEditor({ schedule }: { schedule: Schedule }) {
  const { t } = useTranslation();
  const centres = useCentres();
  const save = useSave<Rule[]>(schedule.clinicianId, 'availability');
  const { rows: rules, update, add, remove } = useRows<Rule>(schedule.rules, () => save.reset());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(rules.map((r) => ({ ...r, centreId: r.mode === 'in_person' ? r.centreId : null })));
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="rules-title">
      <h2 id="rules-title">{t('schedule.weekly')}</h2>
      <p className="muted">{t('schedule.inZone', { zone: schedule.timeZone })}</p>
      {rules.length === 0 && <p className="muted empty">{t('schedule.noRules')}</p>}
      {rules.map((r, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity of their own until saved
        <RowFieldset key={i} legend={t('schedule.ruleN', { n: i + 1 })} onRemove={() => remove(i)}>
          <WeeklyTimeFields row={r} onChange={(patch) => update(i, patch)} />
          <label>
            {t('search.mode')}
            <select value={r.mode} onChange={(e) => update(i, { mode: e.target.value })}>
              <option value="online">{t('mode.online')}</option>
              <option value="in_person">{t('mode.in_person')}</option>
            </select>
          </label>
          {r.mode === 'in_person' && (
            <label>
              {t('search.centre')}
              <select
                value={r.centreId ?? ''}
                onChange={(e) => update(i, { centreId: e.target.value || null })}
                required
              >
                <option value="">{t('schedule.chooseCentre')}</option>
                {centres.data?.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}, {c.city}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            {t('schedule.slotMinutes')}
            <input
              type="number"
              min={5}
              max={480}
              value={r.slotMinutes}
              onChange={(e) => update(i, { slotMinutes: Number(e.target.value) })}
              required
            />
          </label>
        </RowFieldset>
      ))}
      <EditorFooter
        save={save}
        addLabel={t('schedule.addRule')}
        onAdd={() =>
          add({ weekday: 1, start: '09:00', end: '13:00', mode: 'online', centreId: null, slotMinutes: 30 })
        }
        saveLabel={t('schedule.saveWeekly')}
      />
    </form>
  );
}

function ShiftsEditor({ schedule }: { schedule: Schedule }) {
  const { t } = useTranslation();
  const save = useSave<Shift[]>(schedule.clinicianId, 'shifts');
  const { rows: shifts, update, add, remove } = useRows<Shift>(schedule.shifts, () => save.reset());
  return (
    <form
      className="card"
      aria-labelledby="shifts-title"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(shifts);
      }}
    >
      <h2 id="shifts-title">{t('schedule.shifts')}</h2>
      <p className="muted">{t('schedule.shiftsHelp')}</p>
      {shifts.length === 0 && <p className="muted empty">{t('schedule.noShifts')}</p>}
      {shifts.map((r, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity of their own until saved
        <RowFieldset key={i} legend={t('schedule.shiftN', { n: i + 1 })} onRemove={() => remove(i)}>
          <WeeklyTimeFields row={r} onChange={(patch) => update(i, patch)} />
        </RowFieldset>
      ))}
      <EditorFooter
        save={save}
        addLabel={t('schedule.addShift')}
        onAdd={() => add({ weekday: 1, start: '18:00', end: '22:00' })}
        saveLabel={t('schedule.saveShifts')}
      />
    </form>
  );
}

function TimeOffEditor({ schedule }: { schedule: Schedule }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [startAt, setStartAt] = useState('');
  const [endAt, setEndAt] = useState('');
  const [reason, setReason] = useState('');
  const refresh = () => client.invalidateQueries({ queryKey: ['schedule', schedule.clinicianId] });
  const add = useMutation({
    mutationFn: () =>
      api('POST', `/api/clinicians/${schedule.clinicianId}/time-off`, {
        startAt: new Date(startAt).toISOString(),
        endAt: new Date(endAt).toISOString(),
        ...(reason ? { reason } : {}),
      }),
    onSuccess: () => {
      setStartAt('');
      setEndAt('');
      setReason('');
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api('DELETE', `/api/clinicians/${schedule.clinicianId}/time-off/${id}`),
    onSuccess: () => refresh(),
  });
  return (
    <div className="card">
      <h2>{t('schedule.timeOff')}</h2>
      {schedule.timeOff.length === 0 ? (
        <p className="muted empty">{t('schedule.noTimeOff')}</p>
      ) : (
        <ul className="list plain">
          {schedule.timeOff.map((o) => (
            <li key={o.id}>
              {formatDateTime(o.startAt)} – {formatDateTime(o.endAt)} {o.reason && `· ${o.reason}`}{' '}
              <button
                type="button"
                className="link"
                onClick={() => remove.mutate(o.id)}
                disabled={remove.isPending}
              >
                {t('schedule.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <label>
          {t('schedule.from')}
          <input
            type="datetime-local"
            value={startAt}
            onChange={(e) => setStartAt(e.target.value)}
            required
          />
        </label>
        <label>
          {t('schedule.until')}
          <input type="datetime-local" value={endAt} onChange={(e) => setEndAt(e.target.value)} required />
        </label>
        <label>
          {t('schedule.reason')}
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button type="submit" disabled={add.isPending}>
          {add.isPending ? t('common.saving') : t('schedule.addTimeOff')}
        </button>
      </form>
      {add.isSuccess && <Success>{t('schedule.timeOffAdded')}</Success>}
      <ErrorText error={add.error ?? remove.error} />
    </div>
  );
}
