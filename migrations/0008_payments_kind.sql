ALTER TABLE "payments" ADD COLUMN "kind" text DEFAULT 'primary' NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_kind_check" CHECK ("payments"."kind" in ('primary', 'second_capture'));--> statement-breakpoint
-- Second captures were marked by their idempotency key's prefix until this column existed.
UPDATE "payments" SET "kind" = 'second_capture' WHERE "idempotency_key" LIKE 'second-capture:%';
