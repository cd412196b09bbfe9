-- The admin console's one-time set-password links (issue 17). A link with no user claims the
-- tenant: whoever opens it first creates its first admin. Only the token's SHA-256 is stored.
-- Keyed as Postgres's 0012 (tenant first).
CREATE TABLE console_setup_tokens (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id),
    id         BLOB NOT NULL,
    user_id    BLOB REFERENCES users (id),
    token_hash BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);
