ALTER TABLE "ledger_transfers" DROP CONSTRAINT "ledger_transfers_debit_account_id_ledger_accounts_id_fk";
--> statement-breakpoint
ALTER TABLE "ledger_transfers" DROP CONSTRAINT "ledger_transfers_credit_account_id_ledger_accounts_id_fk";
--> statement-breakpoint
DROP INDEX "ledger_transfers_resolves_once";--> statement-breakpoint
DROP INDEX "ledger_transfers_session";--> statement-breakpoint
DROP INDEX "ledger_transfers_payable";--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transfers_resolves_once" ON "ledger_transfers" USING btree ("pending_id") WHERE "ledger_transfers"."pending_id" is not null;--> statement-breakpoint
CREATE INDEX "ledger_transfers_session" ON "ledger_transfers" USING btree ("session_id") WHERE "ledger_transfers"."session_id" is not null;--> statement-breakpoint
CREATE INDEX "ledger_transfers_payable" ON "ledger_transfers" USING btree ("payable_kind","payable_id") WHERE "ledger_transfers"."payable_id" is not null;--> statement-breakpoint
DROP INDEX "sessions_appointment";--> statement-breakpoint
CREATE INDEX "sessions_appointment" ON "sessions" USING btree ("appointment_id") WHERE "sessions"."appointment_id" is not null;
--> statement-breakpoint
-- The billing tick, leaner (issue 13). The two foreign keys above cost a KEY SHARE row lock on the
-- account per transfer row (multixacts on every hot doctor wallet); the statement trigger below
-- checks instead that every account a statement names exists (accounts are never deleted: guard).
-- The net change per account is aggregated once into arrays, the accounts locked in id order and
-- updated through their primary key (no scan of all accounts); a missing account or a currency
-- other than the account's shows as a short update count and is then named.
CREATE OR REPLACE FUNCTION ledger_apply_transfers() RETURNS trigger AS $$
DECLARE
  bad uuid;
  n integer;
  ids uuid[];
  curs text[];
  pds bigint[];
  pcs bigint[];
  nds bigint[];
  ncs bigint[];
BEGIN
  SELECT t.id INTO bad FROM new_rows t WHERE t.flag = 'pending' AND t.expires_at IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'pending transfer % needs an expiry', bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_pending_expiry';
  END IF;
  SELECT t.id INTO bad FROM new_rows t LEFT JOIN ledger_transfers p ON p.id = t.pending_id
    WHERE t.flag IN ('post_pending', 'void_pending')
      AND (p.id IS NULL OR p.flag <> 'pending' OR p.debit_account_id <> t.debit_account_id
        OR p.credit_account_id <> t.credit_account_id OR p.amount <> t.amount) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transfer % does not resolve a matching pending transfer', bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_pending_match';
  END IF;
  SELECT p.id INTO bad FROM new_rows t JOIN ledger_transfers p ON p.id = t.pending_id
    WHERE t.flag = 'post_pending' AND t.created_at >= p.expires_at LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'pending transfer % expired and cannot be posted', bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_pending_expired';
  END IF;
  SELECT array_agg(acct ORDER BY acct), array_agg(cur ORDER BY acct), array_agg(spd ORDER BY acct),
      array_agg(spc ORDER BY acct), array_agg(snd ORDER BY acct), array_agg(snc ORDER BY acct)
    INTO ids, curs, pds, pcs, nds, ncs
    FROM (
      SELECT acct, CASE WHEN min(cur) = max(cur) THEN min(cur) END AS cur, sum(pd) AS spd, sum(pc) AS spc,
        sum(nd) AS snd, sum(nc) AS snc FROM (
        SELECT t.debit_account_id AS acct, t.currency AS cur,
          CASE WHEN t.flag IN ('posted', 'post_pending') THEN t.amount ELSE 0 END AS pd, 0::bigint AS pc,
          CASE t.flag WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0 ELSE -t.amount END AS nd, 0::bigint AS nc
        FROM new_rows t
        UNION ALL
        SELECT t.credit_account_id, t.currency, 0,
          CASE WHEN t.flag IN ('posted', 'post_pending') THEN t.amount ELSE 0 END,
          0, CASE t.flag WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0 ELSE -t.amount END
        FROM new_rows t
      ) e GROUP BY acct
    ) x;
  IF ids IS NULL THEN
    RETURN NULL;
  END IF;
  -- Id order, as every statement: concurrent statements lock shared accounts alike. NO KEY UPDATE, as
  -- an UPDATE takes, so it never waits on (or deadlocks with) a key-share lock.
  PERFORM 1 FROM ledger_accounts a WHERE a.id = ANY (ids) ORDER BY a.id FOR NO KEY UPDATE;
  UPDATE ledger_accounts a SET
    posted_debits = a.posted_debits + x.pd, posted_credits = a.posted_credits + x.pc,
    pending_debits = a.pending_debits + x.nd, pending_credits = a.pending_credits + x.nc
  FROM unnest(ids, curs, pds, pcs, nds, ncs) AS x(acct, cur, pd, pc, nd, nc)
  WHERE a.id = x.acct AND a.currency = x.cur;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n <> cardinality(ids) THEN
    SELECT t.id INTO bad FROM new_rows t
      WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = t.debit_account_id)
        OR NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = t.credit_account_id) LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'transfer % names an account that does not exist', bad
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_transfers_accounts_exist';
    END IF;
    SELECT t.id INTO bad FROM new_rows t
      JOIN ledger_accounts d ON d.id = t.debit_account_id
      JOIN ledger_accounts c ON c.id = t.credit_account_id
      WHERE d.currency <> t.currency OR c.currency <> t.currency LIMIT 1;
    RAISE EXCEPTION 'transfer % mixes currencies', bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_one_currency';
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Room on each page for the new versions of updated balances: updates stay HOT (no index entries).
ALTER TABLE ledger_accounts SET (fillfactor = 70);
--> statement-breakpoint
-- Keys are opaque ASCII: compare them byte by byte (the unique index is checked on every insert).
ALTER TABLE ledger_transfers ALTER COLUMN idempotency_key TYPE text COLLATE "C";
