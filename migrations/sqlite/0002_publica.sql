-- Plans (Publica.la's subscription plans), the plans a user holds, and the fixed-window
-- counters of per-credential rate limits. Same tables as migrations/postgres/0002.

CREATE TABLE plans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE user_plans (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    plan_id     INTEGER NOT NULL REFERENCES plans (id),
    valid_to    TEXT,
    granted_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, plan_id)
);
CREATE INDEX user_plans_user ON user_plans (tenant_id, user_id);

CREATE TABLE rate_limit_windows (
    key_hash     BLOB NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (key_hash, window_start)
);
CREATE INDEX rate_limit_windows_start ON rate_limit_windows (window_start);
