-- The billing tick writes hundreds of transfers per statement: apply them to their accounts once per
-- statement (transition table) instead of once per row. Same checks, same CHECK limits (on the
-- statement's net effect per account), accounts locked in id order before they are updated.
CREATE OR REPLACE FUNCTION ledger_apply_transfers() RETURNS trigger AS $$
DECLARE
  bad uuid;
BEGIN
  SELECT t.id INTO bad FROM new_rows t
    JOIN ledger_accounts d ON d.id = t.debit_account_id
    JOIN ledger_accounts c ON c.id = t.credit_account_id
    WHERE d.currency <> t.currency OR c.currency <> t.currency LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transfer % mixes currencies', bad
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_one_currency';
  END IF;
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
  -- Id order, like the row version: concurrent statements lock shared accounts alike. NO KEY UPDATE,
  -- as an UPDATE takes: a plain FOR UPDATE would conflict with the foreign-key checks (KEY SHARE)
  -- other inserting transactions hold on the same accounts and deadlock with them.
  PERFORM 1 FROM ledger_accounts a
    WHERE a.id IN (SELECT debit_account_id FROM new_rows UNION SELECT credit_account_id FROM new_rows)
    ORDER BY a.id FOR NO KEY UPDATE;
  UPDATE ledger_accounts a SET
    posted_debits = a.posted_debits + x.pd, posted_credits = a.posted_credits + x.pc,
    pending_debits = a.pending_debits + x.nd, pending_credits = a.pending_credits + x.nc
  FROM (
    SELECT acct, sum(pd) AS pd, sum(pc) AS pc, sum(nd) AS nd, sum(nc) AS nc FROM (
      SELECT t.debit_account_id AS acct,
        CASE WHEN t.flag IN ('posted', 'post_pending') THEN t.amount ELSE 0 END AS pd, 0::bigint AS pc,
        CASE t.flag WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0 ELSE -t.amount END AS nd, 0::bigint AS nc
      FROM new_rows t
      UNION ALL
      SELECT t.credit_account_id, 0,
        CASE WHEN t.flag IN ('posted', 'post_pending') THEN t.amount ELSE 0 END,
        0, CASE t.flag WHEN 'pending' THEN t.amount WHEN 'posted' THEN 0 ELSE -t.amount END
      FROM new_rows t
    ) e GROUP BY acct
  ) x WHERE a.id = x.acct;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
DROP TRIGGER ledger_apply_transfer ON ledger_transfers;
--> statement-breakpoint
CREATE TRIGGER ledger_apply_transfer AFTER INSERT ON ledger_transfers
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_transfers();
