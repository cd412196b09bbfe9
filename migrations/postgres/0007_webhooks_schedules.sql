-- Webhook endpoints, their delivery outbox, and timed status changes (issue 19).

-- `secret` is kept as issued (`whsec_...`): signing needs the key itself, so it cannot be hashed.
-- `event_types` is ' * ' or the wanted actions between spaces (' banned unbanned '), so the
-- enqueue trigger matches with one position() test.
CREATE TABLE webhook_endpoints (
    id                    UUID PRIMARY KEY,
    tenant_id             UUID NOT NULL REFERENCES tenants (id),
    url                   TEXT NOT NULL,
    secret                TEXT NOT NULL,
    event_types           TEXT NOT NULL,
    description           TEXT,
    paused_at             TIMESTAMPTZ,
    paused_reason         TEXT,
    consecutive_failures  BIGINT NOT NULL DEFAULT 0,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id);

-- One row per (endpoint, event): its id is the stable `webhook-id`. `pending` rows wait for
-- `next_attempt_at`; `sending` rows are a worker's until `lease_until`.
CREATE TABLE webhook_deliveries (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL REFERENCES tenants (id),
    endpoint_id      UUID NOT NULL REFERENCES webhook_endpoints (id),
    event_id         UUID NOT NULL,
    event_seq        BIGINT NOT NULL,
    user_id          UUID,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    lease_until      TIMESTAMPTZ,
    claim            UUID,
    last_status_code BIGINT,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ,
    CONSTRAINT webhook_deliveries_event_key UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (endpoint_id, user_id, event_seq)
    WHERE status <> 'delivered';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (endpoint_id, event_seq);

CREATE TABLE webhook_attempts (
    delivery_id  UUID NOT NULL REFERENCES webhook_deliveries (id),
    attempt      BIGINT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    duration_ms  BIGINT NOT NULL,
    status_code  BIGINT,
    error        TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

-- The delivery is enqueued by the statement that appends the event, so it commits (or not)
-- with it: nothing announced is lost, nothing lost is announced.
CREATE FUNCTION webhook_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, user_id,
                                    status, next_attempt_at, created_at)
    SELECT gen_random_uuid(), e.tenant_id, w.id, e.id, e.seq, e.user_id, 'pending',
           e.recorded_at, e.recorded_at
      FROM appended e
      JOIN webhook_endpoints w ON w.tenant_id = e.tenant_id
     WHERE w.event_types = ' * ' OR position(' ' || e.action || ' ' IN w.event_types) > 0;
    RETURN NULL;
END $$;
CREATE TRIGGER events_webhooks AFTER INSERT ON events
    REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_enqueue();

-- Status changes that happen later by themselves: the lift of a ban or deactivation with an
-- end (`kind` 'lift'), or a change scheduled for a time (`kind` 'scheduled').
-- `after_seq` is the user's last event when a lift was set: a later status change supersedes it.
CREATE TABLE scheduled_changes (
    id            UUID PRIMARY KEY,
    tenant_id     UUID NOT NULL REFERENCES tenants (id),
    user_id       UUID NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL,
    action        TEXT NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    until         TIMESTAMPTZ,
    reason        TEXT,
    reference_id  TEXT,
    after_seq     BIGINT,
    status        TEXT NOT NULL,
    outcome       TEXT,
    lease_until   TIMESTAMPTZ,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    settled_at    TIMESTAMPTZ
);
CREATE INDEX scheduled_changes_due ON scheduled_changes (status, due_at);
CREATE INDEX scheduled_changes_tenant ON scheduled_changes (tenant_id, due_at);
