//! Tenants and their API keys.

use super::{with_conn, Backend, Result, Tx};
use crate::domain::permission::Scopes;
use crate::domain::tenant::{ApiKey, KeyOwner, Tenant};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: Uuid,
    number: i64,
    slug: String,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Tenant {
            id: r.id,
            number: r.number,
            slug: r.slug,
            name: r.name,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: Uuid,
    tenant_id: Uuid,
    name: String,
    scopes: String,
    prefix: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        ApiKey {
            id: r.id,
            tenant_id: r.tenant_id,
            name: r.name,
            scopes: Scopes::from_stored(&r.scopes),
            prefix: r.prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

const KEY_COLUMNS: &str =
    "id, tenant_id, name, scopes, prefix, created_at, last_used_at, expires_at, revoked_at";

#[derive(sqlx::FromRow)]
struct KeyOwnerRow {
    key_id: Uuid,
    key_name: String,
    scopes: String,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    tenant_id: Uuid,
    tenant_number: i64,
    tenant_slug: String,
    tenant_name: String,
}

impl From<KeyOwnerRow> for KeyOwner {
    fn from(r: KeyOwnerRow) -> Self {
        KeyOwner {
            key_id: r.key_id,
            key_name: r.key_name,
            scopes: Scopes::from_stored(&r.scopes),
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            tenant_id: r.tenant_id,
            tenant_number: r.tenant_number,
            tenant_slug: r.tenant_slug,
            tenant_name: r.tenant_name,
        }
    }
}

/// A key about to be issued.
pub struct KeyRecord<'a> {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: &'a str,
    pub scopes: &'a Scopes,
    pub prefix: &'a str,
    pub secret_hash: &'a [u8],
    pub at: DateTime<Utc>,
}

const TENANT_COLUMNS: &str = "SELECT id, number, slug, name, created_at FROM tenants";

impl Tx {
    pub async fn insert_tenant(
        &mut self,
        id: Uuid,
        slug: &str,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<Tenant> {
        let row: TenantRow = with_conn!(self, |c| sqlx::query_as(
            "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, number, slug, name, created_at"
        )
        .bind(id)
        .bind(slug)
        .bind(name)
        .bind(at)
        .fetch_one(c)
        .await?);
        Ok(row.into())
    }

    pub async fn tenants(&mut self) -> Result<Vec<Tenant>> {
        let sql = format!("{TENANT_COLUMNS} ORDER BY number");
        let rows: Vec<TenantRow> = with_conn!(self, |c| sqlx::query_as(&sql).fetch_all(c).await?);
        Ok(rows.into_iter().map(Tenant::from).collect())
    }

    pub async fn tenant_by_id(&mut self, id: Uuid) -> Result<Option<Tenant>> {
        let sql = format!("{TENANT_COLUMNS} WHERE id = $1");
        let row: Option<TenantRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(c)
            .await?);
        Ok(row.map(Tenant::from))
    }

    pub async fn tenant_by_slug(&mut self, slug: &str) -> Result<Option<Tenant>> {
        let sql = format!("{TENANT_COLUMNS} WHERE slug = $1");
        let row: Option<TenantRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(slug)
            .fetch_optional(c)
            .await?);
        Ok(row.map(Tenant::from))
    }

    pub async fn tenant_by_number(&mut self, number: i64) -> Result<Option<Tenant>> {
        let sql = format!("{TENANT_COLUMNS} WHERE number = $1");
        let row: Option<TenantRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(number)
            .fetch_optional(c)
            .await?);
        Ok(row.map(Tenant::from))
    }

    pub async fn insert_api_key(&mut self, k: &KeyRecord<'_>) -> Result<ApiKey> {
        let sql = format!(
            "INSERT INTO api_keys (id, tenant_id, name, scopes, prefix, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {KEY_COLUMNS}"
        );
        let row: ApiKeyRow = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(k.id)
            .bind(k.tenant_id)
            .bind(k.name)
            .bind(k.scopes.to_stored())
            .bind(k.prefix)
            .bind(k.secret_hash)
            .bind(k.at)
            .fetch_one(c)
            .await?);
        Ok(row.into())
    }

    /// Finds the live key with this hash and its tenant, in one query: it runs on every
    /// authenticated request. A rotated key is live until its `expires_at`.
    pub async fn key_owner(
        &mut self,
        secret_hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Option<KeyOwner>> {
        let row: Option<KeyOwnerRow> = with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT k.id AS key_id, k.name AS key_name, k.scopes, k.last_used_at, k.expires_at, \
                    t.id AS tenant_id, t.number AS tenant_number, \
                    t.slug AS tenant_slug, t.name AS tenant_name \
             FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
             WHERE k.secret_hash = $1 AND k.revoked_at IS NULL \
               AND (k.expires_at IS NULL OR k.expires_at > $2)"
        )
        .bind(secret_hash)
        .bind(at)
        .fetch_optional(c)
        .await?
        });
        Ok(row.map(KeyOwner::from))
    }

    /// Records that a key was used.
    pub async fn touch_api_key(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "UPDATE api_keys SET last_used_at = $2 WHERE id = $1"
        )
        .bind(id)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The tenant's keys, oldest first, revoked ones included.
    pub async fn api_keys(&mut self, tenant: Uuid) -> Result<Vec<ApiKey>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY id");
        let rows: Vec<ApiKeyRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .fetch_all(c)
            .await?);
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    /// Revokes a key (of `tenant` when one is given); answers the key as it now is, or None
    /// when there is no such key.
    pub async fn revoke_api_key(
        &mut self,
        tenant: Option<Uuid>,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiKey>> {
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) \
             WHERE id = $1 AND ($3 IS NULL OR tenant_id = $3) RETURNING {KEY_COLUMNS}"
        );
        let row: Option<ApiKeyRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(id)
            .bind(at)
            .bind(tenant)
            .fetch_optional(c)
            .await?);
        self.announce_key_change().await?;
        Ok(row.map(ApiKey::from))
    }

    /// Ends a live key of the tenant at `until` (a rotation's overlap; never later than an
    /// end it already has); None when the tenant has no key with this id live at `at`.
    pub async fn expire_api_key(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<ApiKey>> {
        let sql = format!(
            "UPDATE api_keys \
             SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > $4 THEN $4 \
                                   ELSE expires_at END \
             WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL \
               AND (expires_at IS NULL OR expires_at > $3) RETURNING {KEY_COLUMNS}"
        );
        let row: Option<ApiKeyRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(id)
            .bind(at)
            .bind(until)
            .fetch_optional(c)
            .await?);
        self.announce_key_change().await?;
        Ok(row.map(ApiKey::from))
    }

    /// Tells every roster process on this Postgres that a key changed, when this transaction
    /// commits (NOTIFY is delivered at commit, and not at all on a rollback), so each empties
    /// its key cache. SQLite serves one process, which empties its own.
    async fn announce_key_change(&mut self) -> Result<()> {
        if self.backend() == Backend::Postgres {
            with_conn!(self, |c| sqlx::query("SELECT pg_notify($1, '')")
                .bind(KEY_CHANGES)
                .execute(c)
                .await?
                .rows_affected());
        }
        Ok(())
    }
}

/// The Postgres channel on which key revocations and expiries are announced.
pub const KEY_CHANGES: &str = "roster_api_keys";
