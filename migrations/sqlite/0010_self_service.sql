-- The user's own side (issue 18): impersonation marks, password resets, external sign-in keys,
-- token ids seen (replay), and secrets roster keeps per tenant to sign its own tickets.

-- An impersonation session: who acts through it (an actor as events record one) and their name.
ALTER TABLE sessions ADD COLUMN impersonator TEXT;
ALTER TABLE sessions ADD COLUMN impersonator_name TEXT;
-- The events made through an impersonation session name the impersonator too.
ALTER TABLE events ADD COLUMN impersonator TEXT;

-- Password reset links. Only the token's SHA-256 is stored.
CREATE TABLE password_resets (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    revoked_at  TEXT
);
CREATE INDEX password_resets_user ON password_resets (tenant_id, user_id);

-- The key a tenant's platform signs external sign-in tokens with (one per tenant).
CREATE TABLE external_auth_keys (
    tenant_id    BLOB PRIMARY KEY REFERENCES tenants (id),
    algorithm    TEXT NOT NULL,
    key_material TEXT NOT NULL,
    audience     TEXT NOT NULL,
    issuer       TEXT,
    create_users INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- Token ids (JWT `jti`) already used, kept until the token would have expired anyway.
CREATE TABLE used_token_ids (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    kind        TEXT NOT NULL,
    jti         TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, jti)
);

-- Secrets roster makes for itself per tenant (the impersonation links' signing key).
CREATE TABLE tenant_secrets (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    purpose     TEXT NOT NULL,
    secret      BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, purpose)
);
