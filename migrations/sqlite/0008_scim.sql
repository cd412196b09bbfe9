-- SCIM: a group's id in the identity provider that created it (SCIM externalId).
ALTER TABLE groups ADD COLUMN external_id TEXT;

-- Users their identity provider deleted (SCIM DELETE): deactivated, and gone from SCIM.
CREATE TABLE deprovisioned_users (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    at          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

-- Attributes of a user that roster keeps for the identity provider and does not interpret
-- (SCIM's Enterprise User extension), one JSON object per extension schema.
CREATE TABLE user_extensions (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    schema      TEXT NOT NULL,
    attributes  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, schema)
);
