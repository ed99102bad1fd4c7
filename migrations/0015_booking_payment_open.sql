-- A lapsed hold keeps its slot while its payment may still be paid: the hold's expiry asks the
-- gateway first (issue 12 item 2). Holds existing now have an open payment unless it settled.
ALTER TABLE "appointments" ADD COLUMN "payment_open" boolean DEFAULT false NOT NULL;--> statement-breakpoint
UPDATE "appointments" SET "payment_open" = true
  WHERE "status" = 'PENDING_PAYMENT' AND "payment_id" IS NOT NULL;
