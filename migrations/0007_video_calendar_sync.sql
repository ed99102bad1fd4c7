ALTER TABLE "video_sessions" ADD COLUMN "calendar_revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "video_sessions" ADD COLUMN "calendar_sync" text;--> statement-breakpoint
ALTER TABLE "video_sessions" ADD COLUMN "calendar_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "video_sessions" ADD CONSTRAINT "video_sessions_calendar_sync_check" CHECK ("video_sessions"."calendar_sync" is null or "video_sessions"."calendar_sync" in ('PENDING', 'DONE', 'FAILED'));