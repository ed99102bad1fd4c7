-- A lapsed hold keeps its slot while its payment may still be paid: the hold's expiry asks the
-- gateway first (issue 12 item 2). Holds existing now have an open payment unless it settled.
ALTER TABLE "appointments" ADD COLUMN "payment_open" boolean DEFAULT false NOT NULL;--> statement-breakpoint
UPDATE "appointments" SET "payment_open" = true
  WHERE "status" = 'PENDING_PAYMENT' AND "payment_id" IS NOT NULL;--> statement-breakpoint
-- Serialising racing holds per clinician (advisory lock) replaced the deadlock the exclusion
-- constraint gave two concurrent overlapping inserts; this index serves the sweeper's scan.
CREATE INDEX "appointments_lapsed_holds" ON "appointments" ("hold_expires_at")
  WHERE "status" = 'PENDING_PAYMENT' AND NOT "payment_open";
