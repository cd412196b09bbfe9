-- Erasure, SQLite edition: see migrations/postgres/0011_erasure.sql. SQLite has no transaction
-- setting to test, so the rule is the columns: an UPDATE may change only the personal fields.
DROP TRIGGER events_no_update;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    WHEN NEW.seq IS NOT OLD.seq OR NEW.tx_order IS NOT OLD.tx_order OR NEW.id IS NOT OLD.id
      OR NEW.tenant_id IS NOT OLD.tenant_id OR NEW.user_id IS NOT OLD.user_id
      OR NEW.action IS NOT OLD.action OR NEW.from_status IS NOT OLD.from_status
      OR NEW.to_status IS NOT OLD.to_status OR NEW.channel IS NOT OLD.channel
      OR NEW.occurred_at IS NOT OLD.occurred_at OR NEW.recorded_at IS NOT OLD.recorded_at
      OR NEW.request_id IS NOT OLD.request_id
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
