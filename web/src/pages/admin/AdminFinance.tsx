import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, type Money } from '../../api';
import { formatDateTime, formatMoney } from '../../format';
import { DataTable, ErrorText, PageTitle, QueryView, RequireRole } from '../../ui';
import { DateFilter, FilterBar, payStatusOptions, SelectFilter } from './AdminFilters';

type Finding = {
  paymentId: string;
  payableKind: string;
  payableId: string;
  provider: string;
  status: string;
  gatewayStatus: string | null;
  payableState: string | null;
  amount: Money;
  gatewayAmount: Money | null;
  refunded: Money;
  mismatches: string[];
};

/** Payments whose gateway, payment and payable states or amounts disagree. */
export function AdminReconciliation() {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ['reconciliation'],
    queryFn: () => api<{ generatedAt: string; mismatches: Finding[] }>('GET', '/api/admin/reconciliation'),
  });
  return (
    <RequireRole roles={['admin']}>
      <section>
        <PageTitle>{t('admin.reconciliation')}</PageTitle>
        <QueryView query={report}>
          {(r) => (
            <>
              <p className="muted">{t('admin.generatedAt', { time: formatDateTime(r.generatedAt) })}</p>
              {r.mismatches.length === 0 ? (
                <p className="empty success">{t('admin.noFindings')}</p>
              ) : (
                <DataTable
                  caption={t('admin.reconciliation')}
                  columns={[
                    t('admin.payment'),
                    t('table.status'),
                    t('admin.gateway'),
                    t('admin.payable'),
                    t('admin.problems'),
                  ]}
                >
                  {r.mismatches.map((m) => (
                    <tr key={m.paymentId}>
                      <td>
                        <code>{m.paymentId.slice(0, 8)}</code> · {m.provider} · {formatMoney(m.amount)}
                      </td>
                      <td>{m.status}</td>
                      <td>
                        {m.gatewayStatus ?? '—'} {m.gatewayAmount ? `· ${formatMoney(m.gatewayAmount)}` : ''}
                      </td>
                      <td>
                        {m.payableKind} · {m.payableState ?? '—'}
                      </td>
                      <td>{m.mismatches.join(', ')}</td>
                    </tr>
                  ))}
                </DataTable>
              )}
            </>
          )}
        </QueryView>
      </section>
    </RequireRole>
  );
}

type AuditRow = {
  id: string;
  occurredAt: string;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  changedFields: string[];
};

/** The audit trail, newest first, filtered by resource or actor. */
export function AdminAudit() {
  const { t } = useTranslation();
  const [resourceType, setResourceType] = useState('');
  const [actorId, setActorId] = useState('');
  const q = new URLSearchParams({ limit: '200' });
  if (resourceType) q.set('resourceType', resourceType);
  if (/^[0-9a-f-]{36}$/i.test(actorId)) q.set('actorId', actorId);
  const rows = useQuery({
    queryKey: ['audit', q.toString()],
    // The newest page of the trail (`{items, nextCursor}`).
    queryFn: () => api<{ items: AuditRow[] }>('GET', `/api/admin/audit?${q}`).then((page) => page.items),
  });
  return (
    <RequireRole roles={['admin']}>
      <section>
        <PageTitle>{t('admin.audit')}</PageTitle>
        <div className="filters wrap">
          <label>
            {t('admin.resourceType')}
            <input
              value={resourceType}
              onChange={(e) => setResourceType(e.target.value)}
              placeholder="user, patient_profile"
            />
          </label>
          <label>
            {t('admin.actorId')}
            <input value={actorId} onChange={(e) => setActorId(e.target.value.trim())} />
          </label>
        </div>
        <QueryView query={rows} empty={(l) => l.length === 0}>
          {(l) => (
            <DataTable
              caption={t('admin.audit')}
              columns={[
                t('table.time'),
                t('admin.actor'),
                t('admin.action'),
                t('admin.resource'),
                t('admin.fields'),
              ]}
            >
              {l.map((r) => (
                <tr key={r.id}>
                  <td>{formatDateTime(r.occurredAt)}</td>
                  <td>
                    {r.actorRole ?? '—'} <code>{r.actorId?.slice(0, 8)}</code>
                  </td>
                  <td>{r.action}</td>
                  <td>
                    {r.resourceType} <code>{r.resourceId?.slice(0, 8)}</code>
                  </td>
                  <td>{r.changedFields.join(', ')}</td>
                </tr>
              ))}
            </DataTable>
          )}
        </QueryView>
      </section>
    </RequireRole>
  );
}

type PaymentRow = {
  id: string;
  payableKind: string;
  payableId: string;
  provider: string;
  status: string;
  amount: Money;
  refunded: Money;
  paidAt: string | null;
  createdAt: string;
};
type PaymentsPage = { items: PaymentRow[]; nextCursor: string | null };

/** Every payment, newest first (`GET /api/admin/payments`), filtered by status and creation day, page by page. */
export function AdminPayments() {
  const { t } = useTranslation();
  const [status, setStatus] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const q = new URLSearchParams({ limit: '50' });
  if (status) q.set('status', status);
  if (from) q.set('from', new Date(`${from}T00:00:00`).toISOString());
  if (to) q.set('to', new Date(`${to}T23:59:59.999`).toISOString());
  const pages = useInfiniteQuery({
    queryKey: ['admin-payments', q.toString()],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      api<PaymentsPage>('GET', `/api/admin/payments?${q}${pageParam ? `&cursor=${pageParam}` : ''}`),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <RequireRole roles={['admin']}>
      <section>
        <PageTitle>{t('admin.payments')}</PageTitle>
        <FilterBar>
          <SelectFilter
            label={t('table.status')}
            value={status}
            onChange={setStatus}
            options={payStatusOptions(t)}
          />
          <DateFilter label={t('admin.createdFrom')} value={from} onChange={setFrom} />
          <DateFilter label={t('admin.createdTo')} value={to} onChange={setTo} />
        </FilterBar>
        {pages.isPending ? (
          <p className="muted">{t('common.loading')}</p>
        ) : pages.error ? (
          <ErrorText error={pages.error} />
        ) : rows.length === 0 ? (
          <p className="muted empty">{t('admin.noPayments')}</p>
        ) : (
          <>
            <DataTable
              caption={t('admin.payments')}
              columns={[
                t('table.time'),
                t('admin.payment'),
                t('table.status'),
                t('admin.payable'),
                t('admin.paidAt'),
              ]}
            >
              {rows.map((p) => (
                <tr key={p.id}>
                  <td>{formatDateTime(p.createdAt)}</td>
                  <td>
                    <code>{p.id.slice(0, 8)}</code> · {p.provider} · {formatMoney(p.amount)}
                    {p.refunded.amount > 0 && ` (−${formatMoney(p.refunded)})`}
                  </td>
                  <td>{t(`payStatus.${p.status}`, { defaultValue: p.status })}</td>
                  <td>
                    {p.payableKind === 'appointment' ? (
                      <Link to={`/admin/appointments/${p.payableId}`}>{p.payableKind}</Link>
                    ) : (
                      p.payableKind
                    )}
                  </td>
                  <td>{p.paidAt ? formatDateTime(p.paidAt) : '—'}</td>
                </tr>
              ))}
            </DataTable>
            {pages.hasNextPage && (
              <button
                type="button"
                className="secondary"
                onClick={() => void pages.fetchNextPage()}
                disabled={pages.isFetchingNextPage}
              >
                {t('admin.loadMore')}
              </button>
            )}
          </>
        )}
      </section>
    </RequireRole>
  );
}
