-- Scenario 3's write transaction, as roster runs it for Village PATCH of a first name
-- (src/service/users.rs patch_in: lock the user, write the profile, append the event, read
-- the groups). The email is unchanged, so no uniqueness check runs (as in roster).
\set i random(1, :pool)
BEGIN;
SELECT id, number, tenant_id, email, external_id, first_name, last_name, phone_number, status, roles, referral_code, parent_id, referred_by, sessions_limit, (password_hash IS NOT NULL) AS has_password, created_at, updated_at, status_changed_at, version FROM users WHERE tenant_id = :tenant AND id = ('eeeeeeee-0000-4000-8000-' || lpad(:i::text, 12, '0'))::uuid FOR UPDATE;
UPDATE users SET email = email, email_key = email_key, external_id = NULL, first_name = 'N' || :client_id || md5(random()::text), last_name = 'User', phone_number = NULL, roles = '', sessions_limit = NULL, password_hash = COALESCE(NULL, password_hash), updated_at = now(), search_text = email || E'\n' || 'n' || :client_id, version = version + 1 WHERE tenant_id = :tenant AND id = ('eeeeeeee-0000-4000-8000-' || lpad(:i::text, 12, '0'))::uuid RETURNING id, number, tenant_id, email, external_id, first_name, last_name, phone_number, status, roles, referral_code, parent_id, referred_by, sessions_limit, (password_hash IS NOT NULL) AS has_password, created_at, updated_at, status_changed_at, version;
INSERT INTO events (id, tenant_id, user_id, action, from_status, to_status, actor, reference_id, description, details, occurred_at, recorded_at, request_id) VALUES (gen_random_uuid(), :tenant, ('eeeeeeee-0000-4000-8000-' || lpad(:i::text, 12, '0'))::uuid, 'profile_updated', NULL, NULL, 'api_key' || chr(58) || 'bench', NULL, NULL, '{"first_name":{"from":"a","to":"b"}}', now(), now(), 'bench');
SELECT gm.user_id, g.key FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.tenant_id = :tenant AND gm.user_id IN (('eeeeeeee-0000-4000-8000-' || lpad(:i::text, 12, '0'))::uuid) ORDER BY g.key;
COMMIT;
