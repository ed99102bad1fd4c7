CREATE TABLE "service_catalog" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"workflow_type" text NOT NULL,
	"bill_timing" text NOT NULL,
	"auto_assign_doctor_id" uuid,
	"is_active" boolean DEFAULT true NOT NULL,
	"price_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "service_catalog_code" CHECK ("service_catalog"."code" ~ '^[A-Z0-9_]{2,40}$'),
	CONSTRAINT "service_catalog_workflow_type" CHECK ("service_catalog"."workflow_type" in ('GOPD_CONSULT', 'ONLINE_CHAT', 'ONLINE_VIDEO', 'ONLINE_EMERGENCY')),
	CONSTRAINT "service_catalog_bill_timing" CHECK ("service_catalog"."bill_timing" in ('BEFORE', 'AFTER')),
	CONSTRAINT "service_catalog_price" CHECK ("service_catalog"."price_minor" > 0),
	CONSTRAINT "service_catalog_currency" CHECK ("service_catalog"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "service_catalog_online_bills_before" CHECK ("service_catalog"."workflow_type" = 'GOPD_CONSULT' or "service_catalog"."bill_timing" = 'BEFORE')
);
--> statement-breakpoint
CREATE TABLE "clinical_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"triage_session_id" uuid NOT NULL,
	"patient_id" uuid NOT NULL,
	"payment_id" uuid NOT NULL,
	"status" text NOT NULL,
	"consultation_id" uuid,
	"refund_id" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "clinical_sessions_status" CHECK ("clinical_sessions"."status" in ('awaiting_symptoms', 'symptoms_collected', 'consultation_created', 'expired')),
	CONSTRAINT "clinical_sessions_consultation" CHECK (("clinical_sessions"."status" = 'consultation_created') = ("clinical_sessions"."consultation_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "consultations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"patient_id" uuid NOT NULL,
	"doctor_id" uuid,
	"source" text NOT NULL,
	"consultation_type" text NOT NULL,
	"status" text NOT NULL,
	"pending_reason" text,
	"bill_timing" text NOT NULL,
	"payment_cleared" boolean NOT NULL,
	"payment_id" uuid,
	"visit_id" uuid,
	"clinical_session_id" uuid,
	"triage_session_id" uuid,
	"service_code" text,
	"urgency" text,
	"symptoms" jsonb,
	"ai_diagnosis" jsonb,
	"chief_complaint" text,
	"notes" text,
	"diagnosis" text,
	"plan" text,
	"created_at" timestamp with time zone NOT NULL,
	"assigned_at" timestamp with time zone,
	"activated_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "consultations_status" CHECK ("consultations"."status" in ('PENDING', 'ACTIVE', 'CLOSED', 'CANCELLED')),
	CONSTRAINT "consultations_pending_reason" CHECK (("consultations"."status" = 'PENDING') = ("consultations"."pending_reason" is not null)),
	CONSTRAINT "consultations_review_has_doctor" CHECK ("consultations"."pending_reason" is distinct from 'doctor_review' or "consultations"."doctor_id" is not null),
	CONSTRAINT "consultations_awaiting_doctor_unassigned" CHECK ("consultations"."pending_reason" is distinct from 'awaiting_doctor' or "consultations"."doctor_id" is null),
	CONSTRAINT "consultations_active_paid" CHECK ("consultations"."status" not in ('ACTIVE', 'CLOSED') or "consultations"."payment_cleared" or "consultations"."bill_timing" = 'AFTER'),
	CONSTRAINT "consultations_closed_by_doctor" CHECK ("consultations"."status" <> 'CLOSED' or "consultations"."doctor_id" is not null),
	CONSTRAINT "consultations_closed_at" CHECK (("consultations"."status" = 'CLOSED') = ("consultations"."closed_at" is not null)),
	CONSTRAINT "consultations_source" CHECK ("consultations"."source" in ('on_demand', 'gopd')),
	CONSTRAINT "consultations_origin" CHECK (("consultations"."source" = 'on_demand' and "consultations"."clinical_session_id" is not null) or ("consultations"."source" = 'gopd' and "consultations"."visit_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "triage_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"patient_id" uuid NOT NULL,
	"status" text NOT NULL,
	"input" jsonb NOT NULL,
	"assessment" jsonb NOT NULL,
	"urgency" text NOT NULL,
	"consultation_type" text,
	"payment_id" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "triage_sessions_status" CHECK ("triage_sessions"."status" in ('symptoms_collected', 'payment_pending', 'payment_confirmed')),
	CONSTRAINT "triage_sessions_payment" CHECK ("triage_sessions"."status" = 'symptoms_collected' or ("triage_sessions"."payment_id" is not null and "triage_sessions"."consultation_type" is not null))
);
--> statement-breakpoint
CREATE TABLE "visit_payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"visit_id" uuid NOT NULL,
	"method" text NOT NULL,
	"amount_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"gateway_payment_id" uuid,
	"recorded_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "visit_payments_method" CHECK ("visit_payments"."method" in ('CASH', 'CARD', 'UPI', 'GATEWAY')),
	CONSTRAINT "visit_payments_amount" CHECK ("visit_payments"."amount_minor" > 0),
	CONSTRAINT "visit_payments_gateway" CHECK (("visit_payments"."method" = 'GATEWAY') = ("visit_payments"."gateway_payment_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "visits" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"patient_id" uuid NOT NULL,
	"service_code" text NOT NULL,
	"bill_timing" text NOT NULL,
	"status" text NOT NULL,
	"payment_status" text NOT NULL,
	"price_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"payment_type" text,
	"chief_complaint" text,
	"gateway_payment_id" uuid,
	"opened_by" uuid NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	CONSTRAINT "visits_status" CHECK ("visits"."status" in ('OPEN', 'CLOSED')),
	CONSTRAINT "visits_payment_status" CHECK ("visits"."payment_status" in ('UNPAID', 'PAID', 'REFUNDED')),
	CONSTRAINT "visits_bill_timing" CHECK ("visits"."bill_timing" in ('BEFORE', 'AFTER')),
	CONSTRAINT "visits_price" CHECK ("visits"."price_minor" > 0),
	CONSTRAINT "visits_closed_paid" CHECK ("visits"."status" = 'OPEN' or "visits"."payment_status" <> 'UNPAID'),
	CONSTRAINT "visits_closed_at" CHECK (("visits"."status" = 'CLOSED') = ("visits"."closed_at" is not null)),
	CONSTRAINT "visits_paid_at" CHECK (("visits"."payment_status" = 'UNPAID') = ("visits"."paid_at" is null))
);
--> statement-breakpoint
ALTER TABLE "service_catalog" ADD CONSTRAINT "service_catalog_auto_assign_doctor_id_users_id_fk" FOREIGN KEY ("auto_assign_doctor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clinical_sessions" ADD CONSTRAINT "clinical_sessions_triage_session_id_triage_sessions_id_fk" FOREIGN KEY ("triage_session_id") REFERENCES "public"."triage_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clinical_sessions" ADD CONSTRAINT "clinical_sessions_patient_id_users_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_patient_id_users_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_doctor_id_users_id_fk" FOREIGN KEY ("doctor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_visit_id_visits_id_fk" FOREIGN KEY ("visit_id") REFERENCES "public"."visits"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_clinical_session_id_clinical_sessions_id_fk" FOREIGN KEY ("clinical_session_id") REFERENCES "public"."clinical_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consultations" ADD CONSTRAINT "consultations_triage_session_id_triage_sessions_id_fk" FOREIGN KEY ("triage_session_id") REFERENCES "public"."triage_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "triage_sessions" ADD CONSTRAINT "triage_sessions_patient_id_users_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visit_payments" ADD CONSTRAINT "visit_payments_visit_id_visits_id_fk" FOREIGN KEY ("visit_id") REFERENCES "public"."visits"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visit_payments" ADD CONSTRAINT "visit_payments_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visits" ADD CONSTRAINT "visits_patient_id_users_id_fk" FOREIGN KEY ("patient_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visits" ADD CONSTRAINT "visits_opened_by_users_id_fk" FOREIGN KEY ("opened_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "service_catalog_workflow" ON "service_catalog" USING btree ("workflow_type","is_active");--> statement-breakpoint
CREATE UNIQUE INDEX "clinical_sessions_triage" ON "clinical_sessions" USING btree ("triage_session_id");--> statement-breakpoint
CREATE INDEX "clinical_sessions_due" ON "clinical_sessions" USING btree ("expires_at") WHERE "clinical_sessions"."status" = 'awaiting_symptoms';--> statement-breakpoint
CREATE INDEX "consultations_doctor" ON "consultations" USING btree ("doctor_id","status");--> statement-breakpoint
CREATE INDEX "consultations_patient" ON "consultations" USING btree ("patient_id","created_at");--> statement-breakpoint
CREATE INDEX "consultations_unassigned" ON "consultations" USING btree ("created_at") WHERE "consultations"."doctor_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "consultations_clinical_session" ON "consultations" USING btree ("clinical_session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "consultations_one_per_visit" ON "consultations" USING btree ("visit_id") WHERE "consultations"."status" <> 'CANCELLED';--> statement-breakpoint
CREATE INDEX "triage_sessions_patient" ON "triage_sessions" USING btree ("patient_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "visit_payments_visit" ON "visit_payments" USING btree ("visit_id");--> statement-breakpoint
CREATE UNIQUE INDEX "visits_one_open_per_patient" ON "visits" USING btree ("patient_id") WHERE "visits"."status" = 'OPEN';--> statement-breakpoint
CREATE INDEX "visits_opened_at" ON "visits" USING btree ("opened_at");--> statement-breakpoint
-- One consultation state machine (consultations.rules.ts `transition`), mirrored here: CLOSED and
-- CANCELLED are final and read-only, only the listed moves exist, and an assigned doctor is never replaced.
CREATE FUNCTION consultations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status IN ('CLOSED', 'CANCELLED') THEN
    RAISE EXCEPTION 'consultation % is % and read-only', OLD.id, OLD.status USING ERRCODE = '23514';
  END IF;
  IF NOT ((OLD.status, NEW.status) IN (('PENDING', 'PENDING'), ('PENDING', 'ACTIVE'), ('PENDING', 'CANCELLED'),
      ('ACTIVE', 'ACTIVE'), ('ACTIVE', 'CLOSED'), ('ACTIVE', 'CANCELLED'))) THEN
    RAISE EXCEPTION 'consultation % cannot move from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = '23514';
  END IF;
  IF OLD.doctor_id IS NOT NULL AND NEW.doctor_id IS DISTINCT FROM OLD.doctor_id THEN
    RAISE EXCEPTION 'consultation % is already assigned', OLD.id USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER consultations_guard BEFORE UPDATE ON consultations FOR EACH ROW EXECUTE FUNCTION consultations_guard();
