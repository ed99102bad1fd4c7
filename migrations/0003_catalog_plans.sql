-- Plans are reference data every deployment needs (subscriptions point at them), so they ship
-- with the schema rather than with demo data. Booking rules (seed 001, architecture.md):
-- none -> pay, or refuse when REQUIRE_PLAN_FOR_BOOKING; vise -> free with a doctor-patient
-- relationship, otherwise pay; the rest -> pay.
INSERT INTO "plans" ("code", "name", "booking_rule", "description") VALUES
  ('none', 'No plan', 'pay_or_refuse', 'Pay per booking, or subscribe first where the deployment requires a plan.'),
  ('free_trial', 'Free trial', 'pay', 'Trial period; bookings are paid.'),
  ('standard', 'Standard', 'pay', 'Bookings are paid.'),
  ('standard_plus', 'Standard Plus', 'pay', 'Bookings are paid.'),
  ('vise', 'Vise', 'free_with_relationship', 'Free bookings with clinicians the patient already has a relationship with.')
ON CONFLICT ("code") DO NOTHING;
