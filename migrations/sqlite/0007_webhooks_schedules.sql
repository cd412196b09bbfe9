-- Webhook endpoints, their delivery outbox, and timed status changes, SQLite edition: see
-- migrations/postgres/0007_webhooks_schedules.sql.

-- `secret` is kept as issued (`whsec_...`): signing needs the key itself, so it cannot be hashed.
-- `event_types` is ' * ' or the wanted actions between spaces (' banned unbanned '), so the
-- enqueue trigger matches with one position() test.
CREATE TABLE webhook_endpoints (
    id                    BLOB PRIMARY KEY,
    tenant_id             BLOB NOT NULL REFERENCES tenants (id),
    url                   TEXT NOT NULL,
    secret                TEXT NOT NULL,
    event_types           TEXT NOT NULL,
    description           TEXT,
    paused_at             TEXT,
    paused_reason         TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id);

-- One row per (endpoint, event): its id is the stable `webhook-id`. `pending` rows wait for
-- `next_attempt_at`; `sending` rows are a worker's until `lease_until`.
CREATE TABLE webhook_deliveries (
    id               BLOB PRIMARY KEY,
    tenant_id        BLOB NOT NULL REFERENCES tenants (id),
    endpoint_id      BLOB NOT NULL REFERENCES webhook_endpoints (id),
    event_id         BLOB NOT NULL,
    event_seq        INTEGER NOT NULL,
    user_id          BLOB,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_until      TEXT,
    claim            BLOB,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT,
    CONSTRAINT webhook_deliveries_event_key UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (endpoint_id, user_id, event_seq)
    WHERE status <> 'delivered';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (endpoint_id, event_seq);

CREATE TABLE webhook_attempts (
    delivery_id  BLOB NOT NULL REFERENCES webhook_deliveries (id),
    attempt      INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

-- The delivery is enqueued by the statement that appends the event, so it commits (or not)
-- with it: nothing announced is lost, nothing lost is announced. Ids are random 16 bytes.
CREATE TRIGGER events_webhooks AFTER INSERT ON events FOR EACH ROW
BEGIN
    INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, user_id,
                                    status, next_attempt_at, created_at)
    SELECT randomblob(16), NEW.tenant_id, w.id, NEW.id, NEW.seq, NEW.user_id, 'pending',
           NEW.recorded_at, NEW.recorded_at
      FROM webhook_endpoints w
     WHERE w.tenant_id = NEW.tenant_id
       AND (w.event_types = ' * ' OR instr(w.event_types, ' ' || NEW.action || ' ') > 0);
END;

-- Status changes that happen later by themselves: the lift of a ban or deactivation with an
-- end (`kind` 'lift'), or a change scheduled for a time (`kind` 'scheduled').
-- `after_seq` is the user's last event when a lift was set: a later status change supersedes it.
CREATE TABLE scheduled_changes (
    id            BLOB PRIMARY KEY,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    user_id       BLOB NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL,
    action        TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    until         TEXT,
    reason        TEXT,
    reference_id  TEXT,
    after_seq     INTEGER,
    status        TEXT NOT NULL,
    outcome       TEXT,
    lease_until   TEXT,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    settled_at    TEXT
);
CREATE INDEX scheduled_changes_due ON scheduled_changes (status, due_at);
CREATE INDEX scheduled_changes_tenant ON scheduled_changes (tenant_id, due_at);
