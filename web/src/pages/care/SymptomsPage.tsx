import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api';
import { CheckoutLink, useCheckoutResult } from '../../checkout';
import { useHasApi } from '../../features';
import type { Checkout } from '../../slots';
import { ErrorText, Feature, PageTitle, RequireRole } from '../../ui';

type Assessment = {
  sessionId: string;
  preliminaryDiagnosis: {
    possible_diagnoses: string[];
    confidence_score: number;
    urgency: 'emergency' | 'urgent' | 'routine' | 'self_care';
    red_flags: string[];
    advice: string;
  };
  recommendedConsultationTypes: string[];
  disclaimer: string;
};
type Selected = { sessionId: string; payment: Checkout | null };
type Paid = { clinicalSessionId: string };
type Consultation = {
  consultationId: string;
  assignedDoctor: { doctorId: string; name: string } | null;
  message?: string;
};

/**
 * The symptom checker (seed 000): describe -> assessment (emergency guidance stops here) -> chat
 * or video -> pay -> detailed symptoms -> the assigned doctor.
 */
export function SymptomsPage() {
  const { t } = useTranslation();
  const available = useHasApi('POST /api/consultations/symptoms/collect');
  return (
    <RequireRole roles={['patient']}>
      <section className="narrow-wide">
        <PageTitle>{t('symptoms.title')}</PageTitle>
        <Feature available={available}>
          <SymptomChecker />
        </Feature>
      </section>
    </RequireRole>
  );
}

function SymptomChecker() {
  const { t } = useTranslation();
  const [f, setF] = useState({ description: '', age: '', gender: '', durationDays: '' });
  const assess = useMutation({
    mutationFn: () =>
      api<Assessment>('POST', '/api/consultations/symptoms/collect', {
        description: f.description,
        ...(f.age ? { age: Number(f.age) } : {}),
        ...(f.gender ? { gender: f.gender } : {}),
        ...(f.durationDays ? { durationDays: Number(f.durationDays) } : {}),
      }),
  });
  const field = (k: keyof typeof f) => ({
    value: f[k],
    onChange: (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    assess.mutate();
  };
  if (assess.data) return <AssessmentView a={assess.data} onRestart={() => assess.reset()} />;
  return (
    <form className="card" onSubmit={submit}>
      <label>
        {t('symptoms.describe')}
        <textarea {...field('description')} rows={5} maxLength={4000} required />
      </label>
      <div className="row">
        <label>
          {t('symptoms.age')}
          <input type="number" min={0} max={130} {...field('age')} />
        </label>
        <label>
          {t('profile.gender')}
          <select {...field('gender')}>
            <option value="">{t('profile.genderNone')}</option>
            {['female', 'male', 'other'].map((g) => (
              <option key={g} value={g}>
                {t(`gender.${g}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('symptoms.days')}
          <input type="number" min={0} max={3650} {...field('durationDays')} />
        </label>
      </div>
      <button type="submit" disabled={assess.isPending}>
        {assess.isPending ? t('symptoms.assessing') : t('symptoms.assess')}
      </button>
      <ErrorText error={assess.error} />
    </form>
  );
}

function AssessmentView({ a, onRestart }: { a: Assessment; onRestart: () => void }) {
  const { t } = useTranslation();
  const d = a.preliminaryDiagnosis;
  const select = useMutation({
    mutationFn: (consultationType: string) =>
      api<Selected>('POST', '/api/consultations/select-consultation', {
        sessionId: a.sessionId,
        consultationType,
      }),
  });
  const emergency = d.urgency === 'emergency';
  return (
    <>
      {emergency && (
        <div className="card emergency" role="alert">
          <h2>{t('symptoms.emergencyTitle')}</h2>
          <p>{t('symptoms.emergencyCall')}</p>
          <a className="button danger" href="tel:112">
            {t('symptoms.call112')}
          </a>
        </div>
      )}
      <div className="card assessment" data-urgency={d.urgency}>
        <h2>{t('symptoms.assessment')}</h2>
        <p className={`urgency ${d.urgency}`}>{t(`urgency.${d.urgency}`)}</p>
        {d.red_flags.length > 0 && (
          <>
            <h3>{t('symptoms.redFlags')}</h3>
            <ul>
              {d.red_flags.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          </>
        )}
        <p>{d.advice}</p>
        {!emergency && d.possible_diagnoses.length > 0 && (
          <>
            <h3>{t('symptoms.possible')}</h3>
            <ol>
              {d.possible_diagnoses.map((x) => (
                <li key={x}>{x}</li>
              ))}
            </ol>
          </>
        )}
        <p className="muted disclaimer">{a.disclaimer}</p>
      </div>
      {!emergency && !select.data && (
        <div className="card">
          <h2>{t('symptoms.talkToDoctor')}</h2>
          <div className="actions">
            {a.recommendedConsultationTypes
              .filter((c) => c !== 'emergency')
              .map((c) => (
                <button key={c} type="button" onClick={() => select.mutate(c)} disabled={select.isPending}>
                  {t(`consultType.${c}`)}
                </button>
              ))}
          </div>
          <ErrorText error={select.error} />
        </div>
      )}
      {select.data && <PayAndDetail sessionId={a.sessionId} payment={select.data.payment} />}
      <button type="button" className="link" onClick={onRestart}>
        {t('symptoms.restart')}
      </button>
    </>
  );
}

function PayAndDetail({ sessionId, payment }: { sessionId: string; payment: Checkout | null }) {
  const { t } = useTranslation();
  const confirm = useMutation({
    mutationFn: (proof: { paymentId: string; orderId?: string; signature?: string }) =>
      api<Paid>('POST', '/api/consultations/confirm-payment', { sessionId, ...proof }),
  });
  useCheckoutResult(payment?.orderId, (r) => {
    if (r.status !== 'failed')
      confirm.mutate({ paymentId: r.paymentId, orderId: r.orderId, signature: r.signature });
  });
  if (confirm.data) return <DetailedSymptoms clinicalSessionId={confirm.data.clinicalSessionId} />;
  return (
    <div className="card">
      <h2>{t('symptoms.pay')}</h2>
      {payment && <CheckoutLink payment={payment} />}
      <button
        type="button"
        className="secondary"
        onClick={() => confirm.mutate({ paymentId: payment?.paymentId ?? '' })}
        disabled={confirm.isPending}
      >
        {confirm.isPending ? t('book.confirming') : t('symptoms.paidCheck')}
      </button>
      <ErrorText error={confirm.error} />
    </div>
  );
}

function DetailedSymptoms({ clinicalSessionId }: { clinicalSessionId: string }) {
  const { t } = useTranslation();
  const [description, setDescription] = useState('');
  const send = useMutation({
    mutationFn: () =>
      api<Consultation>('POST', '/api/consultations/symptoms/collect_detailed_symptoms', {
        clinicalSessionId,
        description,
      }),
  });
  if (send.data)
    return (
      <div className="card" role="status">
        <h2>{t('symptoms.created')}</h2>
        <p>
          {send.data.assignedDoctor
            ? t('symptoms.assigned', { name: send.data.assignedDoctor.name })
            : t('symptoms.queued')}
        </p>
        <Link className="button" to={`/consultations/${send.data.consultationId}`}>
          {t('symptoms.open')}
        </Link>
      </div>
    );
  return (
    <form
      className="card"
      onSubmit={(e) => {
        e.preventDefault();
        send.mutate();
      }}
    >
      <h2>{t('symptoms.detailTitle')}</h2>
      <label>
        {t('symptoms.detail')}
        <textarea
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          rows={6}
          maxLength={4000}
          required
        />
      </label>
      <button type="submit" disabled={send.isPending}>
        {send.isPending ? t('common.saving') : t('symptoms.send')}
      </button>
      <ErrorText error={send.error} />
    </form>
  );
}
