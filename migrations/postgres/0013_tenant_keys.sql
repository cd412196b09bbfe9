-- Every tenant-owned table is keyed and indexed with tenant_id first, so the schema can be
-- distributed by tenant_id (Citus: create_distributed_table(<table>, 'tenant_id'), every such
-- table co-located) and every row of a request lives on one node. Primary keys, unique
-- constraints and foreign keys between tenant-owned tables all lead with tenant_id; a
-- distributed engine can only enforce those. tests/it/catalog.rs checks the rule.
--
-- Not tenant-owned, on purpose: `tenants` and `api_keys` (small, read on every request before
-- the tenant is known: reference tables, copied to every node), and `idempotency_keys` and
-- `rate_limit_windows` (keyed by the calling credential, before any tenant is resolved:
-- distributed by their own key, never joined).
--
-- Session and invite tokens name their tenant by themselves, like API keys: a plain index on
-- the token's hash serves that one lookup; uniqueness is kept per tenant.

-- 1. Foreign keys between tenant-owned tables go first: they hang on the keys that change.
ALTER TABLE users DROP CONSTRAINT users_parent_id_fkey;
ALTER TABLE users DROP CONSTRAINT users_referred_by_fkey;
ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey;
ALTER TABLE group_members DROP CONSTRAINT group_members_status_id_fkey;
ALTER TABLE group_members DROP CONSTRAINT group_members_group_id_fkey;
ALTER TABLE group_members DROP CONSTRAINT group_members_user_id_fkey;
ALTER TABLE room_members DROP CONSTRAINT room_members_room_id_fkey;
ALTER TABLE room_members DROP CONSTRAINT room_members_user_id_fkey;
ALTER TABLE emails DROP CONSTRAINT emails_user_id_fkey;
ALTER TABLE invites DROP CONSTRAINT invites_user_id_fkey;
ALTER TABLE user_plans DROP CONSTRAINT user_plans_user_id_fkey;
ALTER TABLE user_plans DROP CONSTRAINT user_plans_plan_id_fkey;
ALTER TABLE email_keys DROP CONSTRAINT email_keys_user_id_fkey;
ALTER TABLE member_products DROP CONSTRAINT member_products_group_id_user_id_fkey;
ALTER TABLE member_products DROP CONSTRAINT member_products_product_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey;
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_delivery_id_fkey;
ALTER TABLE scheduled_changes DROP CONSTRAINT scheduled_changes_user_id_fkey;
ALTER TABLE deprovisioned_users DROP CONSTRAINT deprovisioned_users_user_id_fkey;
ALTER TABLE user_extensions DROP CONSTRAINT user_extensions_user_id_fkey;

-- 2. An attempt belongs to its delivery's tenant.
ALTER TABLE webhook_attempts ADD COLUMN tenant_id UUID;
UPDATE webhook_attempts a SET tenant_id = d.tenant_id
  FROM webhook_deliveries d WHERE d.id = a.delivery_id;
ALTER TABLE webhook_attempts ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE webhook_attempts ADD CONSTRAINT webhook_attempts_tenant_id_fkey
    FOREIGN KEY (tenant_id) REFERENCES tenants(id);

-- 3. Keys with tenant_id first.
ALTER TABLE users DROP CONSTRAINT users_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE users DROP CONSTRAINT users_number_key,
    ADD CONSTRAINT users_number_key UNIQUE (tenant_id, number);
ALTER TABLE sessions DROP CONSTRAINT sessions_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE sessions DROP CONSTRAINT sessions_token_hash_key,
    ADD CONSTRAINT sessions_token_hash_key UNIQUE (tenant_id, token_hash);
CREATE INDEX sessions_token_hash ON sessions (token_hash);
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (tenant_id, seq);
ALTER TABLE events DROP CONSTRAINT events_id_key,
    ADD CONSTRAINT events_id_key UNIQUE (tenant_id, id);
ALTER TABLE groups DROP CONSTRAINT groups_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE group_members DROP CONSTRAINT group_members_pkey,
    ADD PRIMARY KEY (tenant_id, group_id, user_id);
ALTER TABLE rooms DROP CONSTRAINT rooms_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE room_members DROP CONSTRAINT room_members_pkey,
    ADD PRIMARY KEY (tenant_id, room_id, user_id);
ALTER TABLE room_members DROP CONSTRAINT room_members_seq_key,
    ADD CONSTRAINT room_members_seq_key UNIQUE (tenant_id, seq);
ALTER TABLE emails DROP CONSTRAINT emails_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE invites DROP CONSTRAINT invites_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE invites DROP CONSTRAINT invites_token_hash_key,
    ADD CONSTRAINT invites_token_hash_key UNIQUE (tenant_id, token_hash);
CREATE INDEX invites_token_hash ON invites (token_hash);
ALTER TABLE plans DROP CONSTRAINT plans_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE user_plans DROP CONSTRAINT user_plans_pkey,
    ADD PRIMARY KEY (tenant_id, user_id, plan_id);
ALTER TABLE member_statuses DROP CONSTRAINT member_statuses_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE products DROP CONSTRAINT products_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE member_products DROP CONSTRAINT member_products_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_key,
    ADD CONSTRAINT webhook_deliveries_event_key UNIQUE (tenant_id, endpoint_id, event_id);
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_pkey,
    ADD PRIMARY KEY (tenant_id, delivery_id, attempt);
ALTER TABLE scheduled_changes DROP CONSTRAINT scheduled_changes_pkey, ADD PRIMARY KEY (tenant_id, id);
-- An address's one holder: the unique key becomes the primary key, under the same name (a
-- violation of it still reads as the email being taken).
ALTER TABLE email_keys DROP CONSTRAINT email_keys_key,
    ADD CONSTRAINT email_keys_key PRIMARY KEY (tenant_id, email_key);

-- 4. Foreign keys again, within a tenant.
ALTER TABLE users ADD CONSTRAINT users_parent_id_fkey
    FOREIGN KEY (tenant_id, parent_id) REFERENCES users(tenant_id, id);
ALTER TABLE users ADD CONSTRAINT users_referred_by_fkey
    FOREIGN KEY (tenant_id, referred_by) REFERENCES users(tenant_id, id);
ALTER TABLE sessions ADD CONSTRAINT sessions_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
ALTER TABLE group_members ADD CONSTRAINT group_members_status_id_fkey
    FOREIGN KEY (tenant_id, status_id) REFERENCES member_statuses(tenant_id, id);
ALTER TABLE group_members ADD CONSTRAINT group_members_group_id_fkey
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups(tenant_id, id);
ALTER TABLE group_members ADD CONSTRAINT group_members_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
ALTER TABLE room_members ADD CONSTRAINT room_members_room_id_fkey
    FOREIGN KEY (tenant_id, room_id) REFERENCES rooms(tenant_id, id) ON DELETE CASCADE;
ALTER TABLE room_members ADD CONSTRAINT room_members_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
ALTER TABLE emails ADD CONSTRAINT emails_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
ALTER TABLE invites ADD CONSTRAINT invites_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
ALTER TABLE user_plans ADD CONSTRAINT user_plans_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
ALTER TABLE user_plans ADD CONSTRAINT user_plans_plan_id_fkey
    FOREIGN KEY (tenant_id, plan_id) REFERENCES plans(tenant_id, id);
ALTER TABLE email_keys ADD CONSTRAINT email_keys_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
ALTER TABLE member_products ADD CONSTRAINT member_products_group_id_user_id_fkey
    FOREIGN KEY (tenant_id, group_id, user_id)
    REFERENCES group_members(tenant_id, group_id, user_id) ON DELETE CASCADE;
ALTER TABLE member_products ADD CONSTRAINT member_products_product_id_fkey
    FOREIGN KEY (tenant_id, product_id) REFERENCES products(tenant_id, id);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints(tenant_id, id);
ALTER TABLE webhook_attempts ADD CONSTRAINT webhook_attempts_delivery_id_fkey
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries(tenant_id, id);
ALTER TABLE scheduled_changes ADD CONSTRAINT scheduled_changes_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
ALTER TABLE deprovisioned_users ADD CONSTRAINT deprovisioned_users_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
ALTER TABLE user_extensions ADD CONSTRAINT user_extensions_user_id_fkey
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
