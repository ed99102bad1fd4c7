import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, type User } from '../../api';
import { type ListedClinician, useCentres, useClinicians } from '../../catalog';
import { formatMoney } from '../../format';
import { DataTable, ErrorText, PageTitle, QueryView, RequireRole, Success } from '../../ui';
import { ScheduleEditor } from '../clinician/SchedulePage';

type AdminUser = User & { isActive: boolean };
const ROLES = ['patient', 'clinician', 'staff', 'admin'];

function useUsers(role: string) {
  return useQuery({
    queryKey: ['admin-users', role],
    // The first page (`{items, nextCursor}`, up to 500 users).
    queryFn: () =>
      api<{ items: AdminUser[] }>('GET', `/api/admin/users?limit=500${role ? `&role=${role}` : ''}`).then(
        (p) => p.items,
      ),
  });
}

/** Users and roles: list by role, create team accounts, deactivate or reactivate. */
export function AdminUsers() {
  const { t } = useTranslation();
  const [role, setRole] = useState('');
  const users = useUsers(role);
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: (u: AdminUser) => api('PATCH', `/api/admin/users/${u.id}`, { isActive: !u.isActive }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin-users'] }),
  });
  return (
    <RequireRole roles={['admin']}>
      <section>
        <PageTitle>{t('admin.users')}</PageTitle>
        <CreateUser />
        <div className="filters">
          <label>
            {t('admin.role')}
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="">{t('admin.any')}</option>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`role.${r}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ErrorText error={toggle.error} />
        <QueryView query={users} empty={(l) => l.length === 0}>
          {(l) => (
            <DataTable
              caption={t('admin.users')}
              columns={[t('profile.fullName'), t('login.phone'), t('admin.role'), t('admin.active')]}
            >
              {l.map((u) => (
                <tr key={u.id}>
                  <td>{u.fullName ?? '—'}</td>
                  <td>{u.phone}</td>
                  <td>{t(`role.${u.role}`)}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`${u.isActive ? t('admin.deactivate') : t('admin.activate')} ${u.fullName ?? u.phone}`}
                      onClick={() => toggle.mutate(u)}
                      disabled={toggle.isPending}
                    >
                      {u.isActive ? t('admin.deactivate') : t('admin.activate')}
                    </button>
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </QueryView>
      </section>
    </RequireRole>
  );
}

function CreateUser() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [f, setF] = useState({
    role: 'clinician',
    phone: '',
    fullName: '',
    email: '',
    specialization: '',
    timeZone: 'Asia/Kolkata',
  });
  const create = useMutation({
    mutationFn: () =>
      api<AdminUser>('POST', '/api/admin/users', {
        role: f.role,
        phone: f.phone,
        fullName: f.fullName,
        ...(f.email ? { email: f.email } : {}),
        ...(f.role === 'clinician' ? { specialization: f.specialization, timeZone: f.timeZone } : {}),
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin-users'] }),
  });
  const field = (k: keyof typeof f) => ({
    value: f[k],
    onChange: (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <details className="card">
      <summary>{t('admin.createUser')}</summary>
      <form onSubmit={submit}>
        <label>
          {t('admin.role')}
          <select {...field('role')}>
            {['clinician', 'staff', 'admin'].map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('login.phone')}
          <input type="tel" {...field('phone')} required />
        </label>
        <label>
          {t('profile.fullName')}
          <input {...field('fullName')} required />
        </label>
        <label>
          {t('desk.emailOptional')}
          <input type="email" {...field('email')} />
        </label>
        {f.role === 'clinician' && (
          <>
            <label>
              {t('admin.specialization')}
              <input {...field('specialization')} required />
            </label>
            <label>
              {t('admin.timeZone')}
              <input {...field('timeZone')} required />
            </label>
          </>
        )}
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? t('common.saving') : t('admin.create')}
        </button>
        {create.isSuccess && <Success>{t('admin.created', { name: create.data.fullName })}</Success>}
        <ErrorText error={create.error} />
      </form>
    </details>
  );
}

/** Clinicians: every clinician account, with their listing (fee, modes, centres) and schedule. */
export function AdminClinicians() {
  const { t } = useTranslation();
  const users = useUsers('clinician');
  const listed = useClinicians({});
  return (
    <RequireRole roles={['admin']}>
      <section>
        <PageTitle>{t('admin.clinicians')}</PageTitle>
        <QueryView query={users} empty={(l) => l.length === 0}>
          {(l) => (
            <ul className="grid">
              {l.map((u) => {
                const listing = listed.data?.find((c) => c.id === u.id);
                return (
                  <li key={u.id} className="card">
                    <h2>
                      <Link to={`/admin/clinicians/${u.id}`}>{u.fullName}</Link>
                    </h2>
                    <p>
                      {listing
                        ? `${listing.specialization} · ${formatMoney(listing.fee)}`
                        : t('admin.notListed')}
                    </p>
                    {!u.isActive && <p className="muted">{t('admin.inactive')}</p>}
                  </li>
                );
              })}
            </ul>
          )}
        </QueryView>
      </section>
    </RequireRole>
  );
}

export function AdminClinician() {
  const { t } = useTranslation();
  const { id } = useParams();
  const listed = useClinicians({});
  const users = useUsers('clinician');
  const user = users.data?.find((u) => u.id === id);
  const listing = listed.data?.find((c) => c.id === id);
  return (
    <RequireRole roles={['admin']}>
      <section>
        <PageTitle>{user?.fullName ?? t('admin.clinician')}</PageTitle>
        {listed.isPending ? null : (
          <ListingEditor key={listing?.id ?? 'new'} clinicianId={id!} listing={listing} />
        )}
        <h2>{t('schedule.title')}</h2>
        <ScheduleEditor clinicianId={id!} />
        <Link to="/admin/clinicians">{t('admin.clinicians')}</Link>
      </section>
    </RequireRole>
  );
}

function ListingEditor({ clinicianId, listing }: { clinicianId: string; listing?: ListedClinician }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const centres = useCentres();
  const [modes, setModes] = useState<string[]>(listing?.modes ?? ['online']);
  const [fee, setFee] = useState(listing ? String(listing.fee.amount / 100) : '500');
  const [currency, setCurrency] = useState(listing?.fee.currency ?? 'INR');
  const [centreIds, setCentreIds] = useState<string[]>(listing?.centres.map((c) => c.id) ?? []);
  const [isListed, setIsListed] = useState(!!listing);
  const save = useMutation({
    mutationFn: () =>
      api('PUT', `/api/admin/clinicians/${clinicianId}/listing`, {
        modes,
        fee: { amount: Math.round(Number(fee) * 100), currency },
        centreIds,
        isListed,
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['clinicians'] }),
  });
  const toggle = (list: string[], v: string) =>
    list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
  return (
    <form
      className="card"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2>{t('admin.listing')}</h2>
      <fieldset>
        <legend>{t('admin.modes')}</legend>
        {['online', 'in_person'].map((m) => (
          <label key={m} className="check">
            <input type="checkbox" checked={modes.includes(m)} onChange={() => setModes(toggle(modes, m))} />{' '}
            {t(`mode.${m}`)}
          </label>
        ))}
      </fieldset>
      <label>
        {t('admin.fee')}
        <input
          type="number"
          min="0"
          step="0.01"
          value={fee}
          onChange={(e) => setFee(e.target.value)}
          required
        />
      </label>
      <label>
        {t('admin.currency')}
        <input
          value={currency}
          onChange={(e) => setCurrency(e.target.value.toUpperCase())}
          maxLength={3}
          required
        />
      </label>
      <fieldset>
        <legend>{t('admin.centres')}</legend>
        {centres.data?.map((c) => (
          <label key={c.id} className="check">
            <input
              type="checkbox"
              checked={centreIds.includes(c.id)}
              onChange={() => setCentreIds(toggle(centreIds, c.id))}
            />{' '}
            {c.name}, {c.city}
          </label>
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={isListed} onChange={(e) => setIsListed(e.target.checked)} />{' '}
        {t('admin.listed')}
      </label>
      <button type="submit" disabled={save.isPending}>
        {save.isPending ? t('common.saving') : t('common.save')}
      </button>
      {save.isSuccess && <Success>{t('admin.listingSaved')}</Success>}
      <ErrorText error={save.error} />
    </form>
  );
}

/** Centres: the list and a form for a new one. */
export function AdminCentres() {
  const { t } = useTranslation();
  const centres = useCentres();
  const client = useQueryClient();
  const [f, setF] = useState({ name: '', city: '', address: '', timeZone: 'Asia/Kolkata' });
  const create = useMutation({
    mutationFn: () => api('POST', '/api/admin/centres', f),
    onSuccess: () => {
      setF({ name: '', city: '', address: '', timeZone: f.timeZone });
      void client.invalidateQueries({ queryKey: ['centres'] });
    },
  });
  const field = (k: keyof typeof f) => ({
    value: f[k],
    onChange: (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value }),
  });
  return (
    <RequireRole roles={['admin']}>
      <section>
        <PageTitle>{t('admin.centres')}</PageTitle>
        <QueryView query={centres} empty={(l) => l.length === 0}>
          {(l) => (
            <ul className="grid">
              {l.map((c) => (
                <li key={c.id} className="card">
                  <h2>{c.name}</h2>
                  <p>
                    {c.address}, {c.city}
                  </p>
                  <p className="muted">{c.timeZone}</p>
                </li>
              ))}
            </ul>
          )}
        </QueryView>
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <h2>{t('admin.newCentre')}</h2>
          <label>
            {t('admin.name')}
            <input {...field('name')} required />
          </label>
          <label>
            {t('profile.city')}
            <input {...field('city')} required />
          </label>
          <label>
            {t('admin.address')}
            <input {...field('address')} required />
          </label>
          <label>
            {t('admin.timeZone')}
            <input {...field('timeZone')} required />
          </label>
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? t('common.saving') : t('admin.create')}
          </button>
          {create.isSuccess && <Success>{t('admin.centreCreated')}</Success>}
          <ErrorText error={create.error} />
        </form>
      </section>
    </RequireRole>
  );
}
