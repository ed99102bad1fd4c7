import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { api } from '../../api';
import { useHasApi } from '../../features';
import { clockTime } from '../../format';
import { itemsOf } from '../../lists';
import { ErrorText, Feature, PageTitle, QueryView, RequireRole, useSession } from '../../ui';

type Session = {
  id: string;
  kind: 'text' | 'call';
  status: string;
  clinicianId: string;
  patientId: string;
  funding: string;
  blocksCharged: number;
};
type Message = { id: string; senderId?: string; body: string; createdAt: string };

/** A chat or call session: live messages (stream + polling), controls for each side, credits left. */
export function SessionPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const available = useHasApi('GET /api/sessions/:id');
  const session = useQuery({
    queryKey: ['session', id],
    enabled: available === true,
    queryFn: () => api<Session>('GET', `/api/sessions/${id}`),
    refetchInterval: 5000,
  });
  return (
    <RequireRole roles={['patient', 'clinician']}>
      <section className="narrow-wide">
        <PageTitle>{t('session.title')}</PageTitle>
        <Feature available={available}>
          <QueryView query={session}>{(s) => <SessionView s={s} />}</QueryView>
        </Feature>
      </section>
    </RequireRole>
  );
}

function Credits() {
  const { t } = useTranslation();
  const sub = useQuery({
    queryKey: ['subscription'],
    queryFn: () => api<{ credits: { text: number; call: number } }>('GET', '/api/subscription'),
    refetchInterval: 10_000,
  });
  if (!sub.data) return null;
  return (
    <p className="muted credits" aria-live="polite">
      {t('session.credits', { text: sub.data.credits.text, call: sub.data.credits.call })}
    </p>
  );
}

function SessionView({ s }: { s: Session }) {
  const { t } = useTranslation();
  const me = useSession();
  const client = useQueryClient();
  const doctor = me?.user.role === 'clinician';
  const [body, setBody] = useState('');
  const live = s.status === 'ACTIVE' || s.status === 'CONNECTED';
  // A patient may write while the doctor has not accepted yet: the doctor is told of each message.
  const open = s.kind === 'text' && (s.status === 'WAITING' || s.status === 'ACTIVE');
  const messages = useQuery({
    queryKey: ['session-messages', s.id],
    enabled: s.kind === 'text',
    queryFn: () => api<Message[] | { items: Message[] }>('GET', `/api/sessions/text/${s.id}/messages`),
    select: itemsOf,
    refetchInterval: open ? 3000 : false,
  });
  const send = useMutation({
    mutationFn: () => api('POST', `/api/sessions/text/${s.id}/messages`, { body }),
    onSuccess: () => {
      setBody('');
      void client.invalidateQueries({ queryKey: ['session-messages', s.id] });
    },
  });
  const control = useMutation({
    mutationFn: (path: string) => api('POST', `/api/sessions/${s.kind}/${s.id}/${path}`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['session', s.id] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send.mutate();
  };
  return (
    <>
      <div className="card actions">
        <span className="status" data-status={s.status}>
          {s.status}
        </span>
        <span className="muted">{t('session.blocks', { count: s.blocksCharged })}</span>
        {doctor && s.kind === 'text' && s.status === 'WAITING' && (
          <button type="button" onClick={() => control.mutate('activate')}>
            {t('session.activate')}
          </button>
        )}
        {doctor && s.kind === 'call' && s.status === 'RINGING' && (
          <>
            <button type="button" onClick={() => control.mutate('connect')}>
              {t('session.answer')}
            </button>
            <button type="button" className="secondary" onClick={() => control.mutate('reject')}>
              {t('session.reject')}
            </button>
          </>
        )}
        {live && (
          <button
            type="button"
            className="danger"
            onClick={() => control.mutate(s.kind === 'text' ? 'end' : 'hangup')}
          >
            {s.kind === 'text' ? t('session.end') : t('session.hangUp')}
          </button>
        )}
      </div>
      <ErrorText error={control.error} />
      {!doctor && <Credits />}
      {s.kind === 'text' && (
        <>
          <QueryView query={messages} empty={(l) => l.length === 0} emptyText={t('session.noMessages')}>
            {(l) => (
              <ol className="messages" aria-live="polite">
                {l.map((m) => (
                  <li key={m.id} className={m.senderId === me?.user.id ? 'mine' : 'theirs'}>
                    <p>{m.body}</p>
                    <span className="muted">{clockTime(m.createdAt)}</span>
                  </li>
                ))}
              </ol>
            )}
          </QueryView>
          {!doctor && s.status === 'WAITING' && <p className="muted">{t('session.waiting')}</p>}
          {open && (
            <form className="row" onSubmit={submit}>
              <label>
                {t('session.message')}
                <input value={body} onChange={(e) => setBody(e.target.value)} required maxLength={4000} />
              </label>
              <button type="submit" disabled={send.isPending}>
                {t('session.send')}
              </button>
            </form>
          )}
          <ErrorText error={send.error} />
        </>
      )}
    </>
  );
}
