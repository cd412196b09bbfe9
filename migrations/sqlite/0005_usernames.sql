-- Usernames, SQLite edition: see migrations/postgres/0005_usernames.sql.

ALTER TABLE users ADD COLUMN username TEXT;
ALTER TABLE users ADD COLUMN username_key TEXT;
CREATE UNIQUE INDEX users_username_key ON users (tenant_id, username_key)
    WHERE username_key IS NOT NULL;
