CREATE TABLE "ledger_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"owner_id" uuid,
	"ref" text DEFAULT '' NOT NULL,
	"currency" text NOT NULL,
	"no_overdraft" boolean DEFAULT false NOT NULL,
	"posted_debits" bigint DEFAULT 0 NOT NULL,
	"posted_credits" bigint DEFAULT 0 NOT NULL,
	"pending_debits" bigint DEFAULT 0 NOT NULL,
	"pending_credits" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ledger_accounts_identity" UNIQUE NULLS NOT DISTINCT("kind","owner_id","ref","currency"),
	CONSTRAINT "ledger_accounts_kind" CHECK ("ledger_accounts"."kind" in ('gateway_clearing', 'patient_escrow', 'patient_credits', 'credit_issuance', 'deferred_revenue', 'platform_revenue', 'doctor_wallet', 'doctor_recovery', 'payouts', 'refunds')),
	CONSTRAINT "ledger_accounts_currency" CHECK ("ledger_accounts"."currency" ~ '^([A-Z]{3}|CREDIT_TEXT|CREDIT_CALL)$'),
	CONSTRAINT "ledger_accounts_totals_nonnegative" CHECK ("ledger_accounts"."posted_debits" >= 0 and "ledger_accounts"."posted_credits" >= 0 and "ledger_accounts"."pending_debits" >= 0 and "ledger_accounts"."pending_credits" >= 0),
	CONSTRAINT "ledger_accounts_no_overdraft" CHECK (not "ledger_accounts"."no_overdraft" or "ledger_accounts"."posted_debits" + "ledger_accounts"."pending_debits" <= "ledger_accounts"."posted_credits")
);
--> statement-breakpoint
CREATE TABLE "ledger_transfers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"debit_account_id" uuid NOT NULL,
	"credit_account_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"flag" text NOT NULL,
	"pending_id" uuid,
	"expires_at" timestamp with time zone,
	"idempotency_key" text NOT NULL,
	"content_hash" text NOT NULL,
	"cause" text NOT NULL,
	"session_id" uuid,
	"subscription_id" uuid,
	"payable_kind" text,
	"payable_id" uuid,
	"payment_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ledger_transfers_amount_positive" CHECK ("ledger_transfers"."amount" > 0),
	CONSTRAINT "ledger_transfers_distinct_accounts" CHECK ("ledger_transfers"."debit_account_id" <> "ledger_transfers"."credit_account_id"),
	CONSTRAINT "ledger_transfers_flag" CHECK ("ledger_transfers"."flag" in ('posted', 'pending', 'post_pending', 'void_pending')),
	CONSTRAINT "ledger_transfers_pending_link" CHECK (("ledger_transfers"."pending_id" is not null) = ("ledger_transfers"."flag" in ('post_pending', 'void_pending')))
);
--> statement-breakpoint
CREATE TABLE "payout_items" (
	"payout_id" uuid NOT NULL,
	"transfer_id" uuid NOT NULL,
	"amount_minor" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payouts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"clinician_id" uuid NOT NULL,
	"amount_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"reference" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"created_by_user_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payouts_amount_positive" CHECK ("payouts"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"patient_id" uuid NOT NULL,
	"plan_code" text NOT NULL,
	"status" text NOT NULL,
	"price_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"period_days" integer NOT NULL,
	"text_credits" integer NOT NULL,
	"call_credits" integer NOT NULL,
	"payout_per_block_minor" integer NOT NULL,
	"payment_id" uuid,
	"idempotency_key" text NOT NULL,
	"period_start" timestamp with time zone,
	"period_end" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "subscriptions_status" CHECK ("subscriptions"."status" in ('PENDING_PAYMENT', 'ACTIVE', 'EXPIRED', 'FAILED', 'REFUNDED')),
	CONSTRAINT "subscriptions_active_has_period" CHECK ("subscriptions"."status" <> 'ACTIVE' or "subscriptions"."period_end" is not null)
);
--> statement-breakpoint
CREATE TABLE "session_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"sender_id" uuid NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"patient_id" uuid NOT NULL,
	"clinician_id" uuid NOT NULL,
	"funding" text NOT NULL,
	"appointment_id" uuid,
	"consultation_id" uuid,
	"block_minutes" integer NOT NULL,
	"activated_at" timestamp with time zone,
	"connected_at" timestamp with time zone,
	"ring_expires_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"blocks_charged" integer DEFAULT 0 NOT NULL,
	"next_block_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sessions_status_by_kind" CHECK (("sessions"."kind" = 'text' and "sessions"."status" in ('WAITING', 'ACTIVE', 'ENDED'))
        or ("sessions"."kind" = 'call' and "sessions"."status" in ('RINGING', 'CONNECTED', 'ENDED', 'MISSED', 'REJECTED'))),
	CONSTRAINT "sessions_billed_only_when_started" CHECK ("sessions"."blocks_charged" = 0 or ("sessions"."kind" = 'text' and "sessions"."activated_at" is not null) or ("sessions"."kind" = 'call' and "sessions"."connected_at" is not null)),
	CONSTRAINT "sessions_blocks_nonnegative" CHECK ("sessions"."blocks_charged" >= 0 and "sessions"."block_minutes" > 0),
	CONSTRAINT "sessions_ended_has_time" CHECK (("sessions"."status" = 'ENDED') = ("sessions"."ended_at" is not null)),
	CONSTRAINT "sessions_funding_source" CHECK ("sessions"."funding" = 'credits' or "sessions"."appointment_id" is not null or "sessions"."consultation_id" is not null)
);
--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "price_minor" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "period_days" integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "text_credits" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "call_credits" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "payout_per_block_minor" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transfers" ADD CONSTRAINT "ledger_transfers_debit_account_id_ledger_accounts_id_fk" FOREIGN KEY ("debit_account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transfers" ADD CONSTRAINT "ledger_transfers_credit_account_id_ledger_accounts_id_fk" FOREIGN KEY ("credit_account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_items" ADD CONSTRAINT "payout_items_payout_id_payouts_id_fk" FOREIGN KEY ("payout_id") REFERENCES "public"."payouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_items" ADD CONSTRAINT "payout_items_transfer_id_ledger_transfers_id_fk" FOREIGN KEY ("transfer_id") REFERENCES "public"."ledger_transfers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_clinician_id_users_id_fk" FOREIGN KEY ("clinician_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_patient_id_users_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_messages" ADD CONSTRAINT "session_messages_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_messages" ADD CONSTRAINT "session_messages_sender_id_users_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_patient_id_users_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_clinician_id_users_id_fk" FOREIGN KEY ("clinician_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_accounts_owner" ON "ledger_accounts" USING btree ("owner_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transfers_idempotency_key" ON "ledger_transfers" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transfers_resolves_once" ON "ledger_transfers" USING btree ("pending_id");--> statement-breakpoint
CREATE INDEX "ledger_transfers_debit" ON "ledger_transfers" USING btree ("debit_account_id","created_at");--> statement-breakpoint
CREATE INDEX "ledger_transfers_credit" ON "ledger_transfers" USING btree ("credit_account_id","created_at");--> statement-breakpoint
CREATE INDEX "ledger_transfers_session" ON "ledger_transfers" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "ledger_transfers_payable" ON "ledger_transfers" USING btree ("payable_kind","payable_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payout_items_transfer" ON "payout_items" USING btree ("transfer_id");--> statement-breakpoint
CREATE INDEX "payout_items_payout" ON "payout_items" USING btree ("payout_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payouts_idempotency_key" ON "payouts" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "payouts_clinician" ON "payouts" USING btree ("clinician_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "subscriptions_idempotency_key" ON "subscriptions" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "subscriptions_one_active" ON "subscriptions" USING btree ("patient_id") WHERE "subscriptions"."status" = 'ACTIVE';--> statement-breakpoint
CREATE INDEX "subscriptions_period_end" ON "subscriptions" USING btree ("status","period_end");--> statement-breakpoint
CREATE INDEX "session_messages_session" ON "session_messages" USING btree ("session_id","created_at");--> statement-breakpoint
CREATE INDEX "sessions_due" ON "sessions" USING btree ("next_block_at") WHERE "sessions"."next_block_at" is not null;--> statement-breakpoint
CREATE INDEX "sessions_ringing" ON "sessions" USING btree ("ring_expires_at") WHERE "sessions"."status" = 'RINGING';--> statement-breakpoint
CREATE INDEX "sessions_patient" ON "sessions" USING btree ("patient_id","created_at");--> statement-breakpoint
CREATE INDEX "sessions_clinician" ON "sessions" USING btree ("clinician_id","created_at");--> statement-breakpoint
CREATE INDEX "sessions_appointment" ON "sessions" USING btree ("appointment_id");--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_billing_values" CHECK ("plans"."price_minor" >= 0 and "plans"."period_days" > 0 and "plans"."text_credits" >= 0 and "plans"."call_credits" >= 0 and "plans"."payout_per_block_minor" >= 0);--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_payout_within_price" CHECK ("plans"."price_minor" = 0 or "plans"."payout_per_block_minor" * ("plans"."text_credits" + "plans"."call_credits") <= "plans"."price_minor");--> statement-breakpoint
-- Plans carry price, period, credits and the doctor's payout per block (billing); booking keeps reading the same rows.
UPDATE "plans" SET "price_minor" = 0, "period_days" = 7, "text_credits" = 2, "call_credits" = 1, "payout_per_block_minor" = 3000 WHERE "code" = 'free_trial';--> statement-breakpoint
UPDATE "plans" SET "price_minor" = 49900, "period_days" = 30, "text_credits" = 6, "call_credits" = 3, "payout_per_block_minor" = 5000 WHERE "code" = 'standard';--> statement-breakpoint
UPDATE "plans" SET "price_minor" = 99900, "period_days" = 30, "text_credits" = 15, "call_credits" = 8, "payout_per_block_minor" = 4000 WHERE "code" = 'standard_plus';--> statement-breakpoint
UPDATE "plans" SET "price_minor" = 149900, "period_days" = 30, "text_credits" = 20, "call_credits" = 10, "payout_per_block_minor" = 4500 WHERE "code" = 'vise';--> statement-breakpoint
-- Ledger entries are immutable (money.md 2): corrections are new transfers.
CREATE OR REPLACE FUNCTION ledger_transfers_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger transfers are immutable (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'ledger_transfers_immutable';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE OR DELETE ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable();
--> statement-breakpoint
CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfers_immutable();
--> statement-breakpoint
-- An account's totals change only through ledger_apply_transfer, so a balance is always the fold of its entries.
CREATE OR REPLACE FUNCTION ledger_accounts_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR pg_trigger_depth() < 2
    OR NEW.kind <> OLD.kind OR NEW.currency <> OLD.currency OR NEW.no_overdraft <> OLD.no_overdraft
    OR NEW.owner_id IS DISTINCT FROM OLD.owner_id OR NEW.ref <> OLD.ref THEN
    RAISE EXCEPTION 'ledger account % changes only by transfers (% refused)', OLD.id, TG_OP
      USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'ledger_accounts_guard';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE OR DELETE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_accounts_guard();
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfers_immutable();
--> statement-breakpoint
-- Applies a transfer to its two accounts in the inserting statement (AFTER: a skipped ON CONFLICT row
-- changes nothing). Accounts are updated in id order so that concurrent transfers lock them alike.
CREATE OR REPLACE FUNCTION ledger_apply_transfer() RETURNS trigger AS $$
DECLARE
  p ledger_transfers%ROWTYPE;
  n integer;
  first_id uuid := least(NEW.debit_account_id, NEW.credit_account_id);
  second_id uuid := greatest(NEW.debit_account_id, NEW.credit_account_id);
  acct uuid;
BEGIN
  SELECT count(*) INTO n FROM ledger_accounts
    WHERE id IN (NEW.debit_account_id, NEW.credit_account_id) AND currency = NEW.currency;
  IF n <> 2 THEN
    RAISE EXCEPTION 'transfer % mixes currencies', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_one_currency';
  END IF;
  IF NEW.flag = 'pending' AND NEW.expires_at IS NULL THEN
    RAISE EXCEPTION 'pending transfer % needs an expiry', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_pending_expiry';
  END IF;
  IF NEW.flag IN ('post_pending', 'void_pending') THEN
    SELECT * INTO p FROM ledger_transfers WHERE id = NEW.pending_id;
    IF NOT FOUND OR p.flag <> 'pending' OR p.debit_account_id <> NEW.debit_account_id
      OR p.credit_account_id <> NEW.credit_account_id OR p.amount <> NEW.amount THEN
      RAISE EXCEPTION 'transfer % does not resolve a matching pending transfer', NEW.id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_pending_match';
    END IF;
    IF NEW.flag = 'post_pending' AND NEW.created_at >= p.expires_at THEN
      RAISE EXCEPTION 'pending transfer % expired and cannot be posted', p.id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transfers_pending_expired';
    END IF;
  END IF;
  FOREACH acct IN ARRAY ARRAY[first_id, second_id] LOOP
    IF acct = NEW.debit_account_id THEN
      UPDATE ledger_accounts SET
        posted_debits = posted_debits + CASE WHEN NEW.flag IN ('posted', 'post_pending') THEN NEW.amount ELSE 0 END,
        pending_debits = pending_debits + CASE NEW.flag WHEN 'pending' THEN NEW.amount WHEN 'posted' THEN 0 ELSE -NEW.amount END
      WHERE id = acct;
    ELSE
      UPDATE ledger_accounts SET
        posted_credits = posted_credits + CASE WHEN NEW.flag IN ('posted', 'post_pending') THEN NEW.amount ELSE 0 END,
        pending_credits = pending_credits + CASE NEW.flag WHEN 'pending' THEN NEW.amount WHEN 'posted' THEN 0 ELSE -NEW.amount END
      WHERE id = acct;
    END IF;
  END LOOP;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER ledger_apply_transfer AFTER INSERT ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_apply_transfer();
--> statement-breakpoint
-- Sessions end once: ENDED, MISSED and REJECTED are final, and a started session never goes back.
CREATE OR REPLACE FUNCTION sessions_status_transition() RETURNS trigger AS $$
BEGIN
  IF NEW.status = OLD.status THEN
    IF OLD.status IN ('ENDED', 'MISSED', 'REJECTED') AND (NEW.blocks_charged <> OLD.blocks_charged OR NEW.ended_at IS DISTINCT FROM OLD.ended_at) THEN
      RAISE EXCEPTION 'session % is over', OLD.id USING ERRCODE = 'check_violation', CONSTRAINT = 'sessions_status_transition';
    END IF;
    RETURN NEW;
  END IF;
  IF (OLD.status = 'WAITING' AND NEW.status IN ('ACTIVE', 'ENDED'))
    OR (OLD.status = 'ACTIVE' AND NEW.status = 'ENDED')
    OR (OLD.status = 'RINGING' AND NEW.status IN ('CONNECTED', 'ENDED', 'MISSED', 'REJECTED'))
    OR (OLD.status = 'CONNECTED' AND NEW.status = 'ENDED') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'session % cannot move from % to %', OLD.id, OLD.status, NEW.status
    USING ERRCODE = 'check_violation', CONSTRAINT = 'sessions_status_transition';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER sessions_status_transition BEFORE UPDATE ON sessions
  FOR EACH ROW EXECUTE FUNCTION sessions_status_transition();
