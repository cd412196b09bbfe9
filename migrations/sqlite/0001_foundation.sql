-- Roster's canonical schema, SQLite edition. Same tables and keys as migrations/postgres; the
-- differences are types (UUIDs as 16-byte BLOBs, timestamps as RFC 3339 TEXT) and integer keys,
-- which SQLite generates only through INTEGER PRIMARY KEY.

CREATE TABLE tenants (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    id          BLOB NOT NULL UNIQUE,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('tenants', 999);

CREATE TABLE api_keys (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    prefix      TEXT NOT NULL,
    secret_hash BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE users (
    number            INTEGER PRIMARY KEY AUTOINCREMENT,
    id                BLOB NOT NULL UNIQUE,
    tenant_id         BLOB NOT NULL REFERENCES tenants (id),
    email             TEXT,
    email_key         TEXT,
    external_id       TEXT,
    first_name        TEXT,
    last_name         TEXT,
    phone_number      TEXT,
    password_hash     TEXT,
    status            TEXT NOT NULL,
    roles             TEXT NOT NULL DEFAULT '',
    -- Lowercased email and names (folded in Rust, for every script alike), for `q` search.
    search_text       TEXT NOT NULL DEFAULT '',
    referral_code     TEXT NOT NULL,
    parent_id         BLOB REFERENCES users (id),
    -- Who referred this user (a create-only fact: Village's referrer).
    referred_by       BLOB REFERENCES users (id),
    sessions_limit    INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    status_changed_at TEXT NOT NULL,
    version           INTEGER NOT NULL,
    UNIQUE (tenant_id, email_key),
    UNIQUE (tenant_id, external_id),
    UNIQUE (tenant_id, referral_code)
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('users', 99999);
CREATE INDEX users_tenant_number ON users (tenant_id, number);
CREATE INDEX users_tenant_status_number ON users (tenant_id, status, number);

CREATE TABLE sessions (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX sessions_user_live ON sessions (tenant_id, user_id, created_at) WHERE revoked_at IS NULL;

-- The audit log: append-only. SQLite has one writer at a time, so commit order is seq order and
-- tx_order stays 0.
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_order      INTEGER NOT NULL DEFAULT 0,
    id            BLOB NOT NULL UNIQUE,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    user_id       BLOB,
    action        TEXT NOT NULL,
    from_status   TEXT,
    to_status     TEXT,
    actor         TEXT NOT NULL,
    reference_id  TEXT,
    description   TEXT,
    details       TEXT,
    occurred_at   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    request_id    TEXT
);
CREATE INDEX events_tenant_user ON events (tenant_id, user_id, seq);
CREATE INDEX events_tenant_feed ON events (tenant_id, tx_order, seq);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, key)
);
INSERT INTO sqlite_sequence (name, seq) VALUES ('groups', 99);

CREATE TABLE group_members (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    group_id    INTEGER NOT NULL REFERENCES groups (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    joined_at   TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (tenant_id, user_id);

CREATE TABLE rooms (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE room_members (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    room_id     BLOB NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id     BLOB NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL,
    joined_at   TEXT NOT NULL,
    UNIQUE (room_id, user_id)
);
CREATE INDEX room_members_user ON room_members (tenant_id, user_id);

CREATE TABLE idempotency_keys (
    scope         BLOB NOT NULL,
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    status_code   INTEGER,
    -- The replayed headers (content-type, etag, location) as a JSON object.
    headers       TEXT,
    body          BLOB,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

-- The outbox: every email is written in the same transaction as the change that causes it,
-- and delivered from here.
CREATE TABLE emails (
    id              BLOB PRIMARY KEY,
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    user_id         BLOB NOT NULL REFERENCES users (id),
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT NOT NULL,
    -- A claimed email is being sent until its lease ends; after that another worker may take it.
    lease_until     TEXT,
    -- The invite token the email carries: kept only until the email is delivered or given up.
    secret          TEXT,
    -- A stable Message-ID, so a receiver can drop the duplicate of a send whose success was
    -- never recorded (the process died between sending and recording).
    message_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX emails_user ON emails (tenant_id, user_id, created_at);
CREATE INDEX emails_due ON emails (status, next_attempt_at);

-- Invites a user can redeem. Only the token's SHA-256 is stored.
CREATE TABLE invites (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    accepted_at TEXT,
    revoked_at  TEXT
);
CREATE INDEX invites_user ON invites (tenant_id, user_id);
