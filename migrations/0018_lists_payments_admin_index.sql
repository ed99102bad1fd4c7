-- GET /api/admin/payments: newest first by (created_at, id), optionally one status; btree scanned backwards.
CREATE INDEX "payments_created" ON "payments" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "payments_status_created" ON "payments" USING btree ("status","created_at","id");
