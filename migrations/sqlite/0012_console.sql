-- The admin console's one-time set-password links (issue 17). A link with no user claims the
-- tenant: whoever opens it first creates its first admin. Only the token's SHA-256 is stored.
CREATE TABLE console_setup_tokens (
    id         BLOB PRIMARY KEY,
    tenant_id  BLOB NOT NULL REFERENCES tenants (id),
    user_id    BLOB REFERENCES users (id),
    token_hash BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX console_setup_tokens_tenant ON console_setup_tokens (tenant_id);
