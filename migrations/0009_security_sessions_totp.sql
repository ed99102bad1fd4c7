CREATE TABLE "user_totp" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"secret_sealed" text NOT NULL,
	"confirmed_at" timestamp with time zone,
	"last_used_step" integer,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stream_ticket_uses" (
	"jti" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "auth_sessions" ADD COLUMN "family_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "auth_sessions" ADD COLUMN "replaced_by" uuid;--> statement-breakpoint
ALTER TABLE "auth_sessions" ADD COLUMN "next_token_sealed" text;--> statement-breakpoint
ALTER TABLE "user_totp" ADD CONSTRAINT "user_totp_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stream_ticket_uses_expires" ON "stream_ticket_uses" USING btree ("expires_at");--> statement-breakpoint
-- Every instance hears at commit that a session ended (logout, reuse, deactivation, signed out
-- elsewhere), so it can close that session's live streams at once. A trigger: no path can forget.
CREATE FUNCTION "auth_session_revoked_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."revoked_at" IS NOT NULL AND OLD."revoked_at" IS NULL THEN
    PERFORM pg_notify('auth_session_revoked', json_build_object('userId', NEW."user_id", 'sessionId', NEW."id")::text);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "auth_sessions_revoked_notify"
  AFTER UPDATE OF "revoked_at" ON "auth_sessions" FOR EACH ROW EXECUTE FUNCTION "auth_session_revoked_notify"();
