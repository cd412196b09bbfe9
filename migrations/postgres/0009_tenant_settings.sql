-- A tenant's settings, each a column with its default. `scim_delete`: what an identity
-- provider's SCIM DELETE does to a user (src/domain/tenant.rs, ScimDelete).
ALTER TABLE tenants ADD COLUMN scim_delete TEXT NOT NULL DEFAULT 'deactivate';
