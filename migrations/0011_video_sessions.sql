CREATE TABLE "video_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appointment_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"meeting_id" text,
	"join_url" text,
	"host_url" text,
	"status" text NOT NULL,
	"title" text NOT NULL,
	"scheduled_start_at" timestamp with time zone NOT NULL,
	"scheduled_end_at" timestamp with time zone NOT NULL,
	"patient_user_id" uuid,
	"clinician_user_id" uuid,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "video_sessions_provider_check" CHECK ("video_sessions"."provider" in ('JITSI', 'GOOGLE_MEET')),
	CONSTRAINT "video_sessions_status_check" CHECK ("video_sessions"."status" in ('PENDING', 'SCHEDULED', 'CANCELLED')),
	CONSTRAINT "video_sessions_times_check" CHECK ("video_sessions"."scheduled_end_at" > "video_sessions"."scheduled_start_at"),
	CONSTRAINT "video_sessions_scheduled_has_link" CHECK ("video_sessions"."status" <> 'SCHEDULED' or "video_sessions"."join_url" is not null)
);
--> statement-breakpoint
ALTER TABLE "video_sessions" ADD CONSTRAINT "video_sessions_patient_user_id_users_id_fk" FOREIGN KEY ("patient_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_sessions" ADD CONSTRAINT "video_sessions_clinician_user_id_users_id_fk" FOREIGN KEY ("clinician_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "video_sessions_appointment_key" ON "video_sessions" USING btree ("appointment_id");