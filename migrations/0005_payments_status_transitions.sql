-- Payment states move forward only (money.md 12); payments.rules.ts `canTransition` is the same table.
CREATE OR REPLACE FUNCTION payments_status_transition() RETURNS trigger AS $$
BEGIN
  IF NEW.status = OLD.status THEN
    RETURN NEW;
  END IF;
  IF (OLD.status = 'CREATED' AND NEW.status IN ('SUCCEEDED', 'FAILED', 'EXPIRED'))
    OR (OLD.status IN ('FAILED', 'EXPIRED') AND NEW.status = 'SUCCEEDED')
    OR (OLD.status = 'SUCCEEDED' AND NEW.status IN ('PARTIALLY_REFUNDED', 'REFUNDED'))
    OR (OLD.status = 'PARTIALLY_REFUNDED' AND NEW.status = 'REFUNDED') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'payment % cannot move from % to %', OLD.id, OLD.status, NEW.status
    USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_status_transition';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER payments_status_transition
  BEFORE UPDATE OF status ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_status_transition();
--> statement-breakpoint
-- Money never moves backwards either: captured is set once, refunded only grows.
CREATE OR REPLACE FUNCTION payments_money_forward() RETURNS trigger AS $$
BEGIN
  IF NEW.refunded_minor < OLD.refunded_minor
    OR (OLD.captured_minor > 0 AND NEW.captured_minor <> OLD.captured_minor) THEN
    RAISE EXCEPTION 'payment % money columns cannot move backwards', OLD.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_money_forward';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER payments_money_forward
  BEFORE UPDATE OF refunded_minor, captured_minor ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_money_forward();
