-- Postgres's 0013 keys every tenant-owned table with tenant_id first, so the schema can be
-- distributed by tenant (see that migration). SQLite is one file and keeps its keys; it only
-- gains what the shared SQL needs: the unique indexes the upserts name as their conflict
-- targets, and the tenant of each webhook attempt.
CREATE UNIQUE INDEX group_members_tenant_key ON group_members (tenant_id, group_id, user_id);
CREATE UNIQUE INDEX user_plans_tenant_key ON user_plans (tenant_id, user_id, plan_id);
CREATE UNIQUE INDEX room_members_tenant_key ON room_members (tenant_id, room_id, user_id);
CREATE UNIQUE INDEX webhook_deliveries_tenant_event_key
    ON webhook_deliveries (tenant_id, endpoint_id, event_id);

ALTER TABLE webhook_attempts ADD COLUMN tenant_id BLOB REFERENCES tenants (id);
UPDATE webhook_attempts SET tenant_id =
    (SELECT d.tenant_id FROM webhook_deliveries d WHERE d.id = webhook_attempts.delivery_id);
CREATE UNIQUE INDEX webhook_attempts_tenant_key ON webhook_attempts (tenant_id, delivery_id, attempt);
