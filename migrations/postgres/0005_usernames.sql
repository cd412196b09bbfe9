-- Usernames: an optional login name per user, unique in the tenant compared case-insensitively
-- (`username_key` is the lowercased name, as `email_key` is for emails). The rule for what a
-- username may hold lives in src/domain/username.rs.

ALTER TABLE users ADD COLUMN username TEXT;
ALTER TABLE users ADD COLUMN username_key TEXT;
-- Named like a constraint: a violation of it is reported as `username` taken.
CREATE UNIQUE INDEX users_username_key ON users (tenant_id, username_key)
    WHERE username_key IS NOT NULL;
