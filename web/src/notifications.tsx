import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from './api';
import { formatDateTime } from './format';
import { PageTitle, QueryView, RequireRole, useSession } from './ui';

type Notification = {
  id: string;
  template?: string;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
};

/** A chat message's notice names its session ("… (session <id>): …"): the way into the chat. */
const sessionOf = (n: Notification) =>
  n.template === 'session_message' ? /\(session ([0-9a-f-]{36})\)/i.exec(n.body)?.[1] : undefined;
type Page = { items: Notification[]; nextCursor: string | null; unreadCount: number };

/**
 * Live updates: the signed-in user's notification stream (Server-Sent Events, opened with a
 * short-lived ticket since EventSource cannot send a bearer token). Every notification refreshes
 * what it may have changed — appointments (a meet link, a confirmation) and the badge.
 */
export function useLiveUpdates() {
  const s = useSession();
  const client = useQueryClient();
  const userId = s?.user.id;
  useEffect(() => {
    if (!userId) return;
    let source: EventSource | null = null;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = async () => {
      try {
        const { ticket } = await api<{ ticket: string }>('POST', '/api/notifications/stream-ticket');
        if (stopped) return;
        source = new EventSource(`/api/notifications/stream?ticket=${encodeURIComponent(ticket)}`);
        source.addEventListener('notification', () => {
          for (const key of [
            'appointments',
            'appointment',
            'notifications',
            'clinician-day',
            'consultations',
            'consultation',
            'session',
            'session-messages',
            'subscription',
          ])
            void client.invalidateQueries({ queryKey: [key] });
        });
        // A ticket is single-use: on an error open a new stream with a new ticket.
        source.onerror = () => {
          source?.close();
          if (!stopped) retry = setTimeout(open, 5000);
        };
      } catch {
        if (!stopped) retry = setTimeout(open, 15000);
      }
    };
    void open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [userId, client]);
}

export function useUnreadCount() {
  const s = useSession();
  return useQuery({
    queryKey: ['notifications', 'badge'],
    enabled: !!s,
    queryFn: () => api<Page>('GET', '/api/notifications?limit=1'),
    select: (p) => p.unreadCount,
  });
}

export function NotificationsPage() {
  const { t } = useTranslation();
  return (
    <RequireRole roles={['patient', 'clinician', 'staff', 'admin']}>
      <section>
        <PageTitle>{t('notifications.title')}</PageTitle>
        <NotificationList />
      </section>
    </RequireRole>
  );
}

function NotificationList() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['notifications', 'list'],
    queryFn: () => api<Page>('GET', '/api/notifications?limit=50'),
  });
  const readAll = useMutation({
    mutationFn: () => api('POST', '/api/notifications/read-all'),
    onSuccess: () => client.invalidateQueries({ queryKey: ['notifications'] }),
  });
  return (
    <QueryView query={list} empty={(p) => p.items.length === 0} emptyText={t('notifications.none')}>
      {(p) => (
        <>
          {p.unreadCount > 0 && (
            <button
              type="button"
              className="secondary"
              onClick={() => readAll.mutate()}
              disabled={readAll.isPending}
            >
              {t('notifications.readAll')}
            </button>
          )}
          <ul className="list">
            {p.items.map((n) => (
              <li key={n.id} className={`card ${n.readAt ? '' : 'unread'}`}>
                <h2>{n.title}</h2>
                <p>{n.body}</p>
                <p className="muted">{formatDateTime(n.createdAt)}</p>
                {sessionOf(n) && <Link to={`/sessions/${sessionOf(n)}`}>{t('notifications.openChat')}</Link>}
              </li>
            ))}
          </ul>
        </>
      )}
    </QueryView>
  );
}
