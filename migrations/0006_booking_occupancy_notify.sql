-- Slot listings are cached per instance; any change to a clinician's held or booked time tells
-- every instance at commit (NOTIFY is transactional: a rolled-back change says nothing). A
-- trigger, so no writer (job, admin script, another service) can forget to.
CREATE FUNCTION "booking_occupancy_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('booking_occupancy', OLD."clinician_id"::text);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW."clinician_id" <> OLD."clinician_id") THEN
    PERFORM pg_notify('booking_occupancy', NEW."clinician_id"::text);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "appointments_occupancy_notify"
  AFTER INSERT OR DELETE OR UPDATE OF "status", "starts_at", "ends_at", "hold_expires_at", "clinician_id"
  ON "appointments" FOR EACH ROW EXECUTE FUNCTION "booking_occupancy_notify"();
