-- Email keys became Unicode-aware: the local part NFC-normalized and case-folded, the domain
-- in its IDNA A-label form (see email_key in src/domain/fields.rs). An ASCII key keeps its
-- value; every other key is listed here, and roster re-keys the listed ones in Rust right
-- after migrating (Store::migrate), one per transaction, deleting each row as it goes.
CREATE TABLE email_rekeys (
    tenant_id   UUID NOT NULL,
    email_key   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, email_key)
);

INSERT INTO email_rekeys (tenant_id, email_key)
SELECT tenant_id, email_key FROM email_keys WHERE octet_length(email_key) <> length(email_key);
