import type pg from 'pg';
export async function setup(pool: pg.Pool, now: Date, N: number, DOCTORS: number) {
    await pool.query(
      `insert into users (phone, full_name, role) select '+9198' || lpad(g::text, 8, '0'), 'Bench ' || g,
         case when g <= $2::int then 'clinician' else 'patient' end from generate_series(1, $1::int + $2::int) g`,
      [N, DOCTORS],
    );
    await pool.query(
      `insert into subscriptions (patient_id, plan_code, status, price_minor, currency, period_days, text_credits,
         call_credits, payout_per_block_minor, idempotency_key, period_start, period_end, created_at, updated_at)
       select id, 'standard', 'ACTIVE', 49900, 'INR', 30, 10, 0, 1000, 'bench:' || id, $1::timestamptz - interval '1 day',
         $1::timestamptz + interval '29 days', $1, $1 from users where role = 'patient'`,
      [now],
    );
    await pool.query(
      `insert into ledger_accounts (kind, owner_id, ref, currency, no_overdraft, created_at)
       select 'patient_credits', patient_id, id::text, 'CREDIT_TEXT', true, $1::timestamptz from subscriptions
       union all select 'deferred_revenue', null, id::text, 'INR', true, $1::timestamptz from subscriptions
       union all select 'credit_issuance', null, 'issued', 'CREDIT_TEXT', false, $1::timestamptz
       union all select 'gateway_clearing', null, '', 'INR', false, $1::timestamptz`,
      [now],
    );
    await pool.query(
      `insert into ledger_transfers (debit_account_id, credit_account_id, amount, currency, flag, idempotency_key, content_hash, cause, created_at)
       select i.id, c.id, 10, 'CREDIT_TEXT', 'posted', 'bench:grant:' || c.id, 'bench', 'credits_granted', $1::timestamptz
       from ledger_accounts c, ledger_accounts i where c.kind = 'patient_credits' and i.kind = 'credit_issuance'
       union all
       select g.id, d.id, 49900, 'INR', 'posted', 'bench:paid:' || d.id, 'bench', 'subscription_payment', $1::timestamptz
       from ledger_accounts d, ledger_accounts g where d.kind = 'deferred_revenue' and g.kind = 'gateway_clearing'`,
      [now],
    );
    await pool.query(
      `insert into sessions (kind, status, patient_id, clinician_id, funding, block_minutes, activated_at, blocks_charged,
         next_block_at, created_at, updated_at)
       select 'text', 'ACTIVE', u.id, d.id, 'credits', 10, $1::timestamptz - interval '10 minutes', 1, $1, $1, $1
       from (select id, row_number() over (order by id) % $2::int as k from users where role = 'patient') u
       join (select id, row_number() over (order by id) % $2::int as k from users where role = 'clinician') d using (k)`,
      [now, DOCTORS],
    );
  await pool.query('analyze');
}
