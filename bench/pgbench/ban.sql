-- Scenario 2's write transaction, as roster runs it for Village ban (src/service/lifecycle.rs
-- apply_transition: lock the user and read their groups for the answer in one query, set the
-- status, end invites and sessions, append the event). Users are picked at random from the
-- pgbench pool (ids eeeeeeee-...-<i>), so pgbench never meets roster's own rows.
\set i random(1, :pool)
BEGIN;
SELECT id, number, tenant_id, email, external_id, first_name, last_name, phone_number, status, roles, referral_code, parent_id, referred_by, sessions_limit, (password_hash IS NOT NULL) AS has_password, created_at, updated_at, status_changed_at, version, (SELECT COALESCE(json_agg(g.key ORDER BY g.key), '[]')::text FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.tenant_id = users.tenant_id AND gm.user_id = users.id) AS group_keys FROM users WHERE tenant_id = :tenant AND id = ('eeeeeeee-0000-4000-8000-' || lpad(:i::text, 12, '0'))::uuid FOR UPDATE OF users;
UPDATE users SET status = 'banned', status_changed_at = now(), updated_at = now(), version = version + 1 WHERE tenant_id = :tenant AND id = ('eeeeeeee-0000-4000-8000-' || lpad(:i::text, 12, '0'))::uuid RETURNING id, number, tenant_id, email, external_id, first_name, last_name, phone_number, status, roles, referral_code, parent_id, referred_by, sessions_limit, (password_hash IS NOT NULL) AS has_password, created_at, updated_at, status_changed_at, version;
UPDATE invites SET revoked_at = now() WHERE tenant_id = :tenant AND user_id = ('eeeeeeee-0000-4000-8000-' || lpad(:i::text, 12, '0'))::uuid AND revoked_at IS NULL AND accepted_at IS NULL;
UPDATE sessions SET revoked_at = now() WHERE tenant_id = :tenant AND user_id = ('eeeeeeee-0000-4000-8000-' || lpad(:i::text, 12, '0'))::uuid AND revoked_at IS NULL;
INSERT INTO events (id, tenant_id, user_id, action, from_status, to_status, actor, reference_id, description, details, occurred_at, recorded_at, request_id) VALUES (gen_random_uuid(), :tenant, ('eeeeeeee-0000-4000-8000-' || lpad(:i::text, 12, '0'))::uuid, 'banned', 'active', 'banned', 'api_key' || chr(58) || 'bench', NULL, NULL, '{"sessions_revoked":0}', now(), now(), 'bench');
COMMIT;
