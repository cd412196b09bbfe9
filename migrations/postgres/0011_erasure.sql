-- Erasure: the audit log stays append-only, except that an erasure may scrub the personal
-- fields of events (actor, actor_name, description, reference_id, details) inside a
-- transaction that says so (`SELECT set_config('roster.erasing', 'on', true)`). Nothing else of
-- an event ever changes, and no event is deleted.
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('roster.erasing', true) = 'on'
       AND NEW.seq = OLD.seq AND NEW.tx_order = OLD.tx_order AND NEW.id = OLD.id
       AND NEW.tenant_id = OLD.tenant_id AND NEW.user_id IS NOT DISTINCT FROM OLD.user_id
       AND NEW.action = OLD.action
       AND NEW.from_status IS NOT DISTINCT FROM OLD.from_status
       AND NEW.to_status IS NOT DISTINCT FROM OLD.to_status
       AND NEW.channel IS NOT DISTINCT FROM OLD.channel
       AND NEW.occurred_at = OLD.occurred_at AND NEW.recorded_at = OLD.recorded_at
       AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'events are append-only';
END $$;
