-- The user's own side (issue 18): impersonation marks, password resets, external sign-in keys,
-- token ids seen (replay), and secrets roster keeps per tenant to sign its own tickets.
-- Every key leads with tenant_id (see 0013). No foreign key to users: before 0013 users has no
-- (tenant_id, id) key to reference, and one on users(id) would stop 0013 re-keying users.

-- An impersonation session: who acts through it (an actor as events record one) and their name.
ALTER TABLE sessions ADD COLUMN impersonator TEXT;
ALTER TABLE sessions ADD COLUMN impersonator_name TEXT;
-- The events made through an impersonation session name the impersonator too.
ALTER TABLE events ADD COLUMN impersonator TEXT;

-- Password reset links. Only the token's SHA-256 is stored.
CREATE TABLE password_resets (
    id          UUID NOT NULL,
    tenant_id   UUID NOT NULL REFERENCES tenants (id),
    user_id     UUID NOT NULL,
    token_hash  BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT password_resets_token_hash_key UNIQUE (tenant_id, token_hash)
);
CREATE INDEX password_resets_user ON password_resets (tenant_id, user_id);

-- The key a tenant's platform signs external sign-in tokens with (one per tenant).
CREATE TABLE external_auth_keys (
    tenant_id    UUID PRIMARY KEY REFERENCES tenants (id),
    algorithm    TEXT NOT NULL,
    key_material TEXT NOT NULL,
    audience     TEXT NOT NULL,
    issuer       TEXT,
    create_users BOOLEAN NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- Token ids (JWT `jti`) already used, kept until the token would have expired anyway.
CREATE TABLE used_token_ids (
    tenant_id   UUID NOT NULL REFERENCES tenants (id),
    kind        TEXT NOT NULL,
    jti         TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, kind, jti)
);

-- Secrets roster makes for itself per tenant (the impersonation links' signing key).
CREATE TABLE tenant_secrets (
    tenant_id   UUID NOT NULL REFERENCES tenants (id),
    purpose     TEXT NOT NULL,
    secret      BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, purpose)
);
