import type { UseQueryResult } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { ApiError, session } from './api';

export function useSession() {
  return useSyncExternalStore(session.subscribe, session.get);
}
export function useSessionState() {
  return useSyncExternalStore(session.subscribe, session.state);
}

/** A failed request in words: the problem+json `detail` when the API gave one. */
export function errorText(err: unknown, fallback: string): string {
  if (err instanceof ApiError) return err.problem.detail || fallback;
  return fallback;
}

export function ErrorText({ error, fallback }: { error: unknown; fallback?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {errorText(error, fallback ?? t('common.failed'))}
    </p>
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <p className="muted loading" role="status">
      {label ?? t('common.loading')}
    </p>
  );
}

export function Success({ children }: { children: ReactNode }) {
  return (
    <p className="success" role="status">
      {children}
    </p>
  );
}

/** Loading, error and empty states of one query, then its data. */
export function QueryView<T>(props: {
  query: UseQueryResult<T>;
  empty?: (data: T) => boolean;
  emptyText?: string;
  children: (data: T) => ReactNode;
}) {
  const { t } = useTranslation();
  const { query } = props;
  if (query.isPending) return <Loading />;
  if (query.isError) return <ErrorText error={query.error} />;
  if (props.empty?.(query.data)) return <p className="muted empty">{props.emptyText ?? t('common.empty')}</p>;
  return <>{props.children(query.data)}</>;
}

/** Pages for one or more roles: a sign-in link for others, nothing while the session loads. */
export function RequireRole({ roles, children }: { roles: string[]; children: ReactNode }) {
  const { t } = useTranslation();
  const state = useSessionState();
  const location = useLocation();
  if (state.status === 'loading') return <Loading />;
  const role = state.session?.user.role;
  if (role && roles.includes(role)) return <>{children}</>;
  const next = encodeURIComponent(location.pathname + location.search);
  return (
    <section className="card narrow">
      <h1>{t('auth.required')}</h1>
      <p>{state.session ? t('auth.wrongRole') : t('auth.pleaseSignIn')}</p>
      <Link className="button" to={`/login?next=${next}${roles.includes('patient') ? '' : '&staff=1'}`}>
        {t('nav.signIn')}
      </Link>
    </section>
  );
}

/** Moves focus to a page's heading when it mounts, so screen readers hear where they are. */
export function PageTitle({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  const text = typeof children === 'string' ? children : '';
  useEffect(() => {
    if (text) document.title = `${text} · Carebook`;
  }, [text]);
  // After following a link the focus would stay on it (or fall to the body): move it to the new page's title.
  useEffect(() => {
    const active = document.activeElement;
    if (!active || active === document.body || active.closest('header')) ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <section className="card narrow">
      <PageTitle>{t('notFound.title')}</PageTitle>
      <p>{t('notFound.body')}</p>
      <Link to="/">{t('notFound.home')}</Link>
    </section>
  );
}

export const statusLabel = (t: (k: string) => string, status: string) => t(`status.${status}`);

/** A screen whose API the server does not offer yet: loading while unknown, a plain message when absent. */
export function Feature({ available, children }: { available: boolean | undefined; children: ReactNode }) {
  const { t } = useTranslation();
  if (available === undefined) return <Loading />;
  if (!available)
    return (
      <p className="muted empty unavailable" role="status">
        {t('common.unavailable')}
      </p>
    );
  return <>{children}</>;
}

/** A scrolling table with a caption for screen readers and one heading a column; the rows are its children. */
export function DataTable({
  caption,
  columns,
  children,
}: {
  caption: string;
  columns: string[];
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
