import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../../api';
import { useHasApi } from '../../features';
import { formatDateTime } from '../../format';
import { itemsOf } from '../../lists';
import { ErrorText, Feature, PageTitle, QueryView, RequireRole, Success, useSession } from '../../ui';

type Consultation = {
  id: string;
  status: string;
  consultationType?: string;
  patientId?: string;
  doctorId?: string | null;
  assignedDoctorId?: string | null;
  description?: string | null;
  chiefComplaint?: string | null;
  urgency?: string | null;
  symptoms?: string[];
  aiDiagnosis?: { possible_diagnoses?: string[]; urgency?: string; red_flags?: string[] } | null;
  notes?: string | null;
  createdAt?: string;
};

/** The patient's consultations, or the doctor's (assigned to them) and their queue. */
export function ConsultationsPage() {
  const { t } = useTranslation();
  const s = useSession();
  const available = useHasApi('GET /api/consultations');
  const doctor = s?.user.role === 'clinician';
  return (
    <RequireRole roles={['patient', 'clinician']}>
      <section>
        <PageTitle>{doctor ? t('consult.doctorTitle') : t('consult.title')}</PageTitle>
        <Feature available={available}>
          {doctor && <Queue />}
          <Mine />
        </Feature>
      </section>
    </RequireRole>
  );
}

function ConsultationList({ list }: { list: Consultation[] }) {
  const { t } = useTranslation();
  return (
    <ul className="grid">
      {list.map((c) => (
        <li key={c.id} className="card" data-status={c.status}>
          <h3>
            <Link to={`/consultations/${c.id}`}>
              {t(`consultType.${c.consultationType ?? 'chat'}`, { defaultValue: c.consultationType })}
            </Link>
          </h3>
          <p className="status">{c.status}</p>
          {c.createdAt && <p className="muted">{formatDateTime(c.createdAt)}</p>}
        </li>
      ))}
    </ul>
  );
}

function Mine() {
  const { t } = useTranslation();
  const list = useQuery({
    queryKey: ['consultations', 'mine'],
    queryFn: () => api<{ items: Consultation[]; nextCursor: string | null }>('GET', '/api/consultations'),
    select: itemsOf,
    refetchInterval: 15_000,
  });
  return (
    <>
      <h2>{t('consult.mine')}</h2>
      <QueryView query={list} empty={(l) => l.length === 0} emptyText={t('consult.none')}>
        {(l) => <ConsultationList list={l} />}
      </QueryView>
    </>
  );
}

function Queue() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const queue = useQuery({
    queryKey: ['consultations', 'queue'],
    queryFn: () =>
      api<{ items: Consultation[]; nextCursor: string | null }>('GET', '/api/consultations/queue'),
    select: itemsOf,
    refetchInterval: 10_000,
  });
  const claim = useMutation({
    mutationFn: (id: string) => api('POST', `/api/consultations/${id}/claim`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['consultations'] }),
  });
  return (
    <>
      <h2>{t('consult.queue')}</h2>
      <ErrorText error={claim.error} />
      <QueryView query={queue} empty={(l) => l.length === 0} emptyText={t('consult.queueEmpty')}>
        {(l) => (
          <ul className="list">
            {l.map((c) => (
              <li key={c.id} className="card actions">
                <Link to={`/consultations/${c.id}`}>
                  {t(`consultType.${c.consultationType ?? 'chat'}`, { defaultValue: c.consultationType })}
                </Link>
                <span className="status">{c.status}</span>
                {!(c.assignedDoctorId ?? c.doctorId) && (
                  <button type="button" onClick={() => claim.mutate(c.id)} disabled={claim.isPending}>
                    {t('consult.claim')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </>
  );
}

/** One consultation: the symptoms and AI assessment; the doctor's notes, activate and close; a chat or call. */
export function ConsultationPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const available = useHasApi('GET /api/consultations/:id');
  const c = useQuery({
    queryKey: ['consultation', id],
    enabled: available === true,
    queryFn: () => api<Consultation>('GET', `/api/consultations/${id}`),
    refetchInterval: 10_000,
  });
  return (
    <RequireRole roles={['patient', 'clinician']}>
      <section>
        <PageTitle>{t('consult.one')}</PageTitle>
        <Feature available={available}>
          <QueryView query={c}>{(x) => <ConsultationDetail c={x} />}</QueryView>
        </Feature>
      </section>
    </RequireRole>
  );
}

function ConsultationDetail({ c }: { c: Consultation }) {
  const { t } = useTranslation();
  const s = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const doctor = s?.user.role === 'clinician';
  const [notes, setNotes] = useState(c.notes ?? '');
  const act = useMutation({
    mutationFn: (what: 'activate' | 'close') => api('POST', `/api/consultations/${c.id}/${what}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['consultation', c.id] }),
  });
  const saveNotes = useMutation({
    mutationFn: () => api('PUT', `/api/consultations/${c.id}/notes`, { notes }),
  });
  const chat = useMutation({
    mutationFn: (kind: 'text' | 'call') =>
      api<{ session: { id: string } }>('POST', `/api/sessions/${kind}`, { consultationId: c.id }),
    onSuccess: (r) => navigate(`/sessions/${r.session.id}`),
  });
  const d = c.aiDiagnosis;
  return (
    <>
      <div className="card" data-status={c.status}>
        <p className="status">{c.status}</p>
        {(c.chiefComplaint ?? c.description) && <p>{c.chiefComplaint ?? c.description}</p>}
        {(c.urgency ?? d?.urgency) && (
          <p className={`urgency ${c.urgency ?? d?.urgency}`}>
            {t(`urgency.${c.urgency ?? d?.urgency}`, { defaultValue: c.urgency ?? d?.urgency ?? '' })}
          </p>
        )}
        {!!d?.possible_diagnoses?.length && (
          <>
            <h2>{t('symptoms.possible')}</h2>
            <ol>
              {d.possible_diagnoses.map((x) => (
                <li key={x}>{x}</li>
              ))}
            </ol>
          </>
        )}
      </div>
      {doctor && (
        <div className="card">
          <div className="actions">
            {c.status === 'PENDING' && (
              <button type="button" onClick={() => act.mutate('activate')} disabled={act.isPending}>
                {t('consult.activate')}
              </button>
            )}
            {c.status === 'ACTIVE' && (
              <button
                type="button"
                className="secondary"
                onClick={() => act.mutate('close')}
                disabled={act.isPending}
              >
                {t('consult.close')}
              </button>
            )}
          </div>
          <ErrorText error={act.error} />
          {c.status === 'ACTIVE' && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                saveNotes.mutate();
              }}
            >
              <label>
                {t('consult.notes')}
                <textarea value={notes} onChange={(e) => setNotes(e.target.value)} rows={5} />
              </label>
              <button type="submit" disabled={saveNotes.isPending}>
                {saveNotes.isPending ? t('common.saving') : t('common.save')}
              </button>
              {saveNotes.isSuccess && <Success>{t('schedule.saved')}</Success>}
              <ErrorText error={saveNotes.error} />
            </form>
          )}
        </div>
      )}
      {!doctor && c.status === 'ACTIVE' && (
        <div className="card actions">
          <button type="button" onClick={() => chat.mutate('text')} disabled={chat.isPending}>
            {t('consult.startChat')}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => chat.mutate('call')}
            disabled={chat.isPending}
          >
            {t('consult.startCall')}
          </button>
          <ErrorText error={chat.error} />
        </div>
      )}
      {!doctor && c.status === 'ACTIVE' && c.doctorId && <ChatFromCredits clinicianId={c.doctorId} />}
    </>
  );
}

/**
 * An instant chat with the consultation's doctor paid from the patient's plan credits (offered
 * only while the plan has chat credits left).
 */
function ChatFromCredits({ clinicianId }: { clinicianId: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const hasPlans = useHasApi('GET /api/subscription', 'POST /api/sessions/text');
  const sub = useQuery({
    queryKey: ['subscription'],
    enabled: hasPlans === true,
    queryFn: () => api<{ credits: { text: number; call: number } }>('GET', '/api/subscription'),
  });
  const start = useMutation({
    mutationFn: () => api<{ session: { id: string } }>('POST', '/api/sessions/text', { clinicianId }),
    onSuccess: (r) => navigate(`/sessions/${r.session.id}`),
  });
  const left = sub.data?.credits.text ?? 0;
  if (left <= 0) return null;
  return (
    <div className="card">
      <button type="button" onClick={() => start.mutate()} disabled={start.isPending}>
        {t('consult.chatCredits')}
      </button>
      <p className="muted">{t('consult.chatCreditsHelp', { count: left })}</p>
      <ErrorText error={start.error} />
    </div>
  );
}
