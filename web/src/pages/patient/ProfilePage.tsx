import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, session, signedIn } from '../../api';
import { ErrorText, PageTitle, QueryView, RequireRole, Success } from '../../ui';

type Profile = {
  id: string;
  phone: string;
  fullName: string | null;
  email: string | null;
  role: string;
  dateOfBirth: string | null;
  gender: string | null;
  address: {
    line1?: string;
    line2?: string;
    city?: string;
    state?: string;
    postalCode?: string;
    country?: string;
  } | null;
  emergencyContact: { name: string; phone: string; relationship?: string } | null;
};

export function ProfilePage() {
  const { t } = useTranslation();
  const profile = useQuery({
    queryKey: ['profile'],
    queryFn: () => api<Profile>('GET', '/api/patient-dashboard/profile'),
    gcTime: 0,
  });
  return (
    <RequireRole roles={['patient']}>
      <section className="narrow-wide">
        <PageTitle>{t('profile.title')}</PageTitle>
        <QueryView query={profile}>{(p) => <ProfileForm key={p.id} p={p} />}</QueryView>
      </section>
    </RequireRole>
  );
}

const blankToNull = (s: string) => (s.trim() ? s.trim() : null);

function ProfileForm({ p }: { p: Profile }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [f, setF] = useState({
    fullName: p.fullName ?? '',
    email: p.email ?? '',
    dateOfBirth: p.dateOfBirth ?? '',
    gender: p.gender ?? '',
    line1: p.address?.line1 ?? '',
    city: p.address?.city ?? '',
    postalCode: p.address?.postalCode ?? '',
    ecName: p.emergencyContact?.name ?? '',
    ecPhone: p.emergencyContact?.phone ?? '',
    ecRelationship: p.emergencyContact?.relationship ?? '',
  });
  const field = (key: keyof typeof f) => ({
    name: key,
    value: f[key],
    onChange: (e: { target: { value: string } }) => setF({ ...f, [key]: e.target.value }),
  });
  const save = useMutation({
    mutationFn: () => {
      const address = { line1: f.line1.trim(), city: f.city.trim(), postalCode: f.postalCode.trim() };
      return api<Profile>('PUT', '/api/patient-dashboard/profile', {
        fullName: f.fullName.trim(),
        email: blankToNull(f.email),
        dateOfBirth: blankToNull(f.dateOfBirth),
        gender: blankToNull(f.gender),
        address: Object.values(address).some(Boolean)
          ? Object.fromEntries(Object.entries(address).filter(([, v]) => v))
          : null,
        emergencyContact: f.ecName.trim()
          ? {
              name: f.ecName.trim(),
              phone: f.ecPhone.trim(),
              ...(f.ecRelationship.trim() ? { relationship: f.ecRelationship.trim() } : {}),
            }
          : null,
      });
    },
    onSuccess: (saved) => {
      const s = session.get();
      if (s) signedIn(s.accessToken, { ...s.user, fullName: saved.fullName, email: saved.email });
      client.setQueryData(['profile'], saved);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form className="card" onSubmit={submit}>
      <p className="muted">{t('profile.phoneFixed', { phone: p.phone })}</p>
      <label>
        {t('profile.fullName')}
        <input {...field('fullName')} autoComplete="name" required />
      </label>
      <label>
        {t('profile.email')}
        <input {...field('email')} type="email" autoComplete="email" />
      </label>
      <label>
        {t('profile.dateOfBirth')}
        <input {...field('dateOfBirth')} type="date" autoComplete="bday" />
      </label>
      <label>
        {t('profile.gender')}
        <select {...field('gender')}>
          <option value="">{t('profile.genderNone')}</option>
          {['female', 'male', 'other', 'undisclosed'].map((g) => (
            <option key={g} value={g}>
              {t(`gender.${g}`)}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>{t('profile.address')}</legend>
        <label>
          {t('profile.line1')}
          <input {...field('line1')} autoComplete="address-line1" />
        </label>
        <label>
          {t('profile.city')}
          <input {...field('city')} autoComplete="address-level2" />
        </label>
        <label>
          {t('profile.postalCode')}
          <input {...field('postalCode')} autoComplete="postal-code" />
        </label>
      </fieldset>
      <fieldset>
        <legend>{t('profile.emergency')}</legend>
        <label>
          {t('profile.ecName')}
          <input {...field('ecName')} />
        </label>
        <label>
          {t('profile.ecPhone')}
          <input {...field('ecPhone')} type="tel" required={!!f.ecName.trim()} />
        </label>
        <label>
          {t('profile.ecRelationship')}
          <input {...field('ecRelationship')} />
        </label>
      </fieldset>
      <button type="submit" disabled={save.isPending}>
        {save.isPending ? t('common.saving') : t('common.save')}
      </button>
      {save.isSuccess && <Success>{t('profile.saved')}</Success>}
      <ErrorText error={save.error} />
    </form>
  );
}
