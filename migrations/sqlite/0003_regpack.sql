-- Regpack, SQLite edition: see migrations/postgres/0003_regpack.sql for what each table is.

CREATE TABLE email_keys (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    email_key   TEXT NOT NULL,
    email       TEXT NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id),
    is_primary  INTEGER NOT NULL,
    added_at    TEXT NOT NULL,
    UNIQUE (tenant_id, email_key)
);
CREATE INDEX email_keys_user ON email_keys (tenant_id, user_id);

INSERT INTO email_keys (tenant_id, email_key, email, user_id, is_primary, added_at)
SELECT tenant_id, email_key, email, id, 1, created_at FROM users WHERE email_key IS NOT NULL;

CREATE TRIGGER users_email_keys_insert AFTER INSERT ON users
WHEN NEW.email_key IS NOT NULL
BEGIN
    INSERT INTO email_keys (tenant_id, email_key, email, user_id, is_primary, added_at)
    VALUES (NEW.tenant_id, NEW.email_key, NEW.email, NEW.id, 1, NEW.updated_at);
END;

CREATE TRIGGER users_email_keys_update AFTER UPDATE OF email, email_key ON users
BEGIN
    DELETE FROM email_keys WHERE tenant_id = OLD.tenant_id AND user_id = OLD.id AND is_primary = 1;
    -- A user's own secondary email may become their primary one.
    DELETE FROM email_keys
     WHERE tenant_id = NEW.tenant_id AND email_key = NEW.email_key AND user_id = NEW.id;
    INSERT INTO email_keys (tenant_id, email_key, email, user_id, is_primary, added_at)
    SELECT NEW.tenant_id, NEW.email_key, NEW.email, NEW.id, 1, NEW.updated_at
     WHERE NEW.email_key IS NOT NULL;
END;

CREATE TABLE member_statuses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    color       TEXT NOT NULL,
    is_excluded INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('member_statuses', 999);

ALTER TABLE group_members ADD COLUMN status_id INTEGER REFERENCES member_statuses (id);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('products', 499);

CREATE TABLE member_products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    group_id    INTEGER NOT NULL,
    user_id     BLOB NOT NULL,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    price_cents INTEGER NOT NULL,
    added_at    TEXT NOT NULL,
    FOREIGN KEY (group_id, user_id) REFERENCES group_members (group_id, user_id) ON DELETE CASCADE
);
CREATE INDEX member_products_member ON member_products (tenant_id, group_id, user_id);
