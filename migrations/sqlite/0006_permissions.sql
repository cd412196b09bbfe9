-- Who may do what, SQLite edition: see migrations/postgres/0006_permissions.sql.

ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT 'default';
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'full';
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;

CREATE TABLE roles (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT,
    permissions TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

ALTER TABLE events ADD COLUMN actor_name TEXT;
ALTER TABLE events ADD COLUMN channel TEXT;
CREATE INDEX events_tenant_actor ON events (tenant_id, actor, seq);
