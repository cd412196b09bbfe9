-- Email keys became Unicode-aware, SQLite edition: see migrations/postgres/0004_email_rekeys.sql.
CREATE TABLE email_rekeys (
    tenant_id   BLOB NOT NULL,
    email_key   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, email_key)
);

INSERT INTO email_rekeys (tenant_id, email_key)
SELECT tenant_id, email_key FROM email_keys
 WHERE length(CAST(email_key AS BLOB)) <> length(email_key);
