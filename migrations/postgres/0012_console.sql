-- The admin console's one-time set-password links (issue 17). A link with no user claims the
-- tenant: whoever opens it first creates its first admin. Only the token's SHA-256 is stored.
CREATE TABLE console_setup_tokens (
    id         UUID PRIMARY KEY,
    tenant_id  UUID NOT NULL REFERENCES tenants (id),
    user_id    UUID REFERENCES users (id),
    token_hash BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX console_setup_tokens_tenant ON console_setup_tokens (tenant_id);
