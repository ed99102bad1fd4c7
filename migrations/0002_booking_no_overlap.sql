-- No double booking: two held (PENDING_PAYMENT) or CONFIRMED appointments of one clinician
-- can never overlap in time. Half-open ranges, so back-to-back slots are fine. A lapsed hold
-- still counts here until it is marked EXPIRED, which booking does in the same transaction
-- before inserting (and the sweeper does in the background).
ALTER TABLE "appointments" ADD CONSTRAINT "appointments_no_overlap"
  EXCLUDE USING gist ("clinician_id" WITH =, tstzrange("starts_at", "ends_at", '[)') WITH &&)
  WHERE ("status" IN ('PENDING_PAYMENT', 'CONFIRMED'));
--> statement-breakpoint
-- Live unpaid holds of a patient (the limit of 3) and reminder/no-show sweeps read these.
CREATE INDEX "appointments_patient_live_holds" ON "appointments" ("patient_id", "hold_expires_at")
  WHERE "status" = 'PENDING_PAYMENT';
