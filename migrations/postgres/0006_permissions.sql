-- Who may do what (issue 16): API keys get a name, scopes, a last use and an end (a rotated
-- key works until then); tenants define roles; every event records its actor's name and the
-- API it came through.

ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT 'default';
-- Keys issued before scopes existed keep doing everything.
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'full';
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMPTZ;

CREATE TABLE roles (
    tenant_id   UUID NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT,
    permissions TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- Events written before this migration have neither (NULL): their `actor` text still names
-- who made them.
ALTER TABLE events ADD COLUMN actor_name TEXT;
ALTER TABLE events ADD COLUMN channel TEXT;
CREATE INDEX events_tenant_actor ON events (tenant_id, actor, seq);
