import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Money } from '../../api';
import { useClinicians } from '../../catalog';
import { CheckoutLink, type CheckoutResult, useCheckoutResult } from '../../checkout';
import { useHasApi } from '../../features';
import { formatDate, formatDateTime, formatMoney } from '../../format';
import { itemsOf } from '../../lists';
import type { Checkout } from '../../slots';
import { DataTable, ErrorText, Feature, Loading, PageTitle, QueryView, RequireRole, Success } from '../../ui';

type Plan = {
  code: string;
  name: string;
  description?: string;
  price?: Money;
  periodDays?: number;
  credits?: { text: number; call: number };
};
type Subscription = {
  plan: string | { code: string; name: string } | null;
  status: string;
  periodEnd: string | null;
  credits: { text: number; call: number };
};

type Purchase = { subscription: { id: string }; payment: Checkout | null };

/**
 * The checkout tab's signed result for the plan's payment, verified by the API (credits are granted
 * when the payment succeeds; the gateway's webhook does the same on its own).
 */
function useVerifyPurchase(purchase: Purchase | undefined, onDone: () => void) {
  const verify = useMutation({
    mutationFn: (r: CheckoutResult) =>
      api('POST', '/api/payment/verify', {
        payableKind: 'subscription',
        payableId: purchase?.subscription.id,
        provider: purchase?.payment?.provider,
        orderId: r.orderId,
        paymentId: r.paymentId,
        signature: r.signature,
      }),
    onSettled: onDone,
  });
  useCheckoutResult(purchase?.payment?.orderId, (r) => {
    if (r.status !== 'failed') verify.mutate(r);
  });
  return verify;
}

const isMoney = (v: unknown): v is Money =>
  typeof v === 'object' && v !== null && 'amount' in v && 'currency' in v && Object.keys(v).length === 2;

/** Plans; the current subscription and buying one when the server offers subscriptions. */
export function PlansPage() {
  const { t } = useTranslation();
  const plans = useQuery({ queryKey: ['plans'], queryFn: () => api<Plan[]>('GET', '/api/plans') });
  const canBuy = useHasApi('POST /api/subscriptions', 'GET /api/subscription');
  const current = useQuery({
    queryKey: ['subscription'],
    enabled: canBuy === true,
    queryFn: () => api<Subscription>('GET', '/api/subscription'),
    refetchInterval: 5000,
  });
  const buy = useMutation({
    mutationFn: (planCode: string) => api<Purchase>('POST', '/api/subscriptions', { planCode }),
    onSuccess: () => current.refetch(),
  });
  const verify = useVerifyPurchase(buy.data, () => current.refetch());
  return (
    <RequireRole roles={['patient']}>
      <section>
        <PageTitle>{t('plans.title')}</PageTitle>
        {current.data?.plan && (
          <p className="card" role="status">
            {t('plans.current', {
              plan: typeof current.data.plan === 'string' ? current.data.plan : current.data.plan?.name,
              text: current.data.credits.text,
              call: current.data.credits.call,
            })}
            {current.data.periodEnd && ` · ${formatDate(current.data.periodEnd)}`}
          </p>
        )}
        {buy.data?.payment && !verify.isSuccess && (
          <div className="card">
            <CheckoutLink payment={buy.data.payment} />
          </div>
        )}
        {verify.isPending && <Loading label={t('book.confirming')} />}
        {verify.isSuccess && <Success>{t('plans.bought')}</Success>}
        <ErrorText error={buy.error ?? verify.error} />
        <QueryView query={plans} empty={(l) => l.length === 0}>
          {(l) => (
            <ul className="grid">
              {l.map((p) => (
                <li key={p.code} className="card">
                  <h2>{p.name}</h2>
                  {p.description && <p>{p.description}</p>}
                  {p.price && (
                    <p>
                      {formatMoney(p.price)}
                      {p.periodDays ? ` / ${t('plans.days', { count: p.periodDays })}` : ''}
                    </p>
                  )}
                  {p.credits && <p className="muted">{t('plans.credits', p.credits)}</p>}
                  {canBuy && p.price && (
                    <button type="button" onClick={() => buy.mutate(p.code)} disabled={buy.isPending}>
                      {t('plans.buy')}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </QueryView>
      </section>
    </RequireRole>
  );
}

type Wallet = {
  posted: Money;
  pending: Money;
  transactions:
    | Array<{ id: string; amount: Money | number; kind: string; sessionId: string | null; at: string }>
    | { items: never[] };
};

/**
 * A wallet entry's kind (`text_block_earning`, `appointment_earning_pending`, `payout`, ...) in words;
 * a kind the app does not know yet is shown with its underscores as spaces rather than hidden.
 */
export function useWalletKind() {
  const { t } = useTranslation();
  return (kind: string) => {
    const pending = kind.endsWith('_pending');
    const base = pending ? kind.slice(0, -'_pending'.length) : kind;
    const fallback = base.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());
    const what = t(`wallet.kind.${base}`, { defaultValue: fallback });
    return pending ? t('wallet.pendingEntry', { what }) : what;
  };
}

/** The doctor's wallet: earnings posted and pending, and the entries behind them. */
export function WalletPage() {
  const { t } = useTranslation();
  const available = useHasApi('GET /api/wallet');
  const kindLabel = useWalletKind();
  const wallet = useQuery({
    queryKey: ['wallet'],
    enabled: available === true,
    queryFn: () => api<Wallet>('GET', '/api/wallet'),
  });
  return (
    <RequireRole roles={['clinician']}>
      <section>
        <PageTitle>{t('wallet.title')}</PageTitle>
        <Feature available={available}>
          <QueryView query={wallet}>
            {(w) => (
              <>
                <div className="stats">
                  <p className="card stat">
                    <strong>{formatMoney(w.posted)}</strong> {t('wallet.posted')}
                  </p>
                  <p className="card stat">
                    <strong>{formatMoney(w.pending)}</strong> {t('wallet.pending')}
                  </p>
                </div>
                <h2>{t('wallet.entries')}</h2>
                {itemsOf(w.transactions).length === 0 && <p className="muted">{t('wallet.none')}</p>}
                <ul className="list plain wallet-entries">
                  {itemsOf(w.transactions).map((x) => (
                    <li key={x.id} data-kind={x.kind}>
                      {formatDateTime(x.at)} · {kindLabel(x.kind)} ·{' '}
                      {isMoney(x.amount)
                        ? formatMoney(x.amount)
                        : formatMoney({ amount: x.amount as number, currency: w.posted.currency })}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </QueryView>
        </Feature>
      </section>
    </RequireRole>
  );
}

type BalanceRow = { kind: string; currency: string; accounts: number; posted: number; pending: number };
type TrialBalance = {
  rows: BalanceRow[];
  totals: Array<{ currency: string; posted: number; pending: number }>;
  balanced: boolean;
};

/** Minor units of an ISO currency as money; credit units (CREDIT_TEXT, CREDIT_CALL) as a count. */
function useAmount() {
  const { t } = useTranslation();
  return (amount: number, currency: string) =>
    /^[A-Z]{3}$/.test(currency) ? formatMoney({ amount, currency }) : t('ledger.credits', { count: amount });
}

/** The ledger's trial balance (per account kind and currency; totals are zero) and payouts to doctors. */
export function TrialBalancePage() {
  const { t } = useTranslation();
  const amount = useAmount();
  const available = useHasApi('GET /api/admin/ledger/trial-balance');
  const tb = useQuery({
    queryKey: ['trial-balance'],
    enabled: available === true,
    queryFn: () => api<TrialBalance>('GET', '/api/admin/ledger/trial-balance'),
  });
  const columns = ['account', 'currency', 'accounts', 'posted', 'pending'].map((c) => t(`ledger.${c}`));
  return (
    <RequireRole roles={['admin']}>
      <section>
        <PageTitle>{t('ledger.title')}</PageTitle>
        <Feature available={available}>
          <QueryView query={tb}>
            {(r) => (
              <>
                <DataTable caption={t('ledger.title')} columns={columns}>
                  {r.rows.map((x) => (
                    <tr key={`${x.kind}:${x.currency}`}>
                      <td>{x.kind.replaceAll('_', ' ')}</td>
                      <td>{x.currency}</td>
                      <td>{x.accounts}</td>
                      <td>{amount(x.posted, x.currency)}</td>
                      <td>{amount(x.pending, x.currency)}</td>
                    </tr>
                  ))}
                </DataTable>
                <p className="totals" data-balanced={String(r.balanced)}>
                  {t('ledger.totals')}: {r.totals.map((x) => amount(x.posted, x.currency)).join(' · ') || '0'}
                  {` — ${r.balanced ? t('ledger.balanced') : t('ledger.unbalanced')}`}
                </p>
              </>
            )}
          </QueryView>
          <Payout />
        </Feature>
      </section>
    </RequireRole>
  );
}

function Payout() {
  const { t } = useTranslation();
  const clinicians = useClinicians({});
  const [clinicianId, setClinicianId] = useState('');
  const [amount, setAmount] = useState('');
  const [reference, setReference] = useState('');
  const pay = useMutation({
    mutationFn: () =>
      api('POST', '/api/admin/payouts', {
        clinicianId,
        amount: { amount: Math.round(Number(amount) * 100), currency: 'INR' },
        reference,
      }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    pay.mutate();
  };
  return (
    <form className="card" onSubmit={submit}>
      <h2>{t('ledger.payout')}</h2>
      <label>
        {t('table.clinician')}
        <select value={clinicianId} onChange={(e) => setClinicianId(e.target.value)} required>
          <option value="">{t('desk.chooseClinician')}</option>
          {clinicians.data?.map((c) => (
            <option key={c.id} value={c.id}>
              {c.fullName}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('ledger.amount')}
        <input
          type="number"
          min="0.01"
          step="0.01"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          required
        />
      </label>
      <label>
        {t('ledger.reference')}
        <input value={reference} onChange={(e) => setReference(e.target.value)} required />
      </label>
      <button type="submit" disabled={pay.isPending}>
        {pay.isPending ? t('common.saving') : t('ledger.pay')}
      </button>
      {pay.isSuccess && <Success>{t('ledger.paid')}</Success>}
      <ErrorText error={pay.error} />
    </form>
  );
}
