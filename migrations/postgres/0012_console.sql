-- The admin console's one-time set-password links (issue 17). A link with no user claims the
-- tenant: whoever opens it first creates its first admin. Only the token's SHA-256 is stored.
-- Keyed by tenant first, as 0013 keys every tenant-owned table. user_id has no foreign key:
-- users' key becomes (tenant_id, id) only in 0013, which runs after this migration, and a key
-- on users (id) here would stop 0013 from replacing it.
CREATE TABLE console_setup_tokens (
    tenant_id  UUID NOT NULL REFERENCES tenants (id),
    id         UUID NOT NULL,
    user_id    UUID,
    token_hash BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);
