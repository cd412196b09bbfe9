//! Tenants and their API keys.

use super::{with_conn, Result, Tx};
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
    prefix: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        ApiKey {
            id: r.id,
            tenant_id: r.tenant_id,
            prefix: r.prefix,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct KeyOwnerRow {
    key_id: Uuid,
    tenant_id: Uuid,
    tenant_number: i64,
    tenant_slug: String,
    tenant_name: String,
}

impl From<KeyOwnerRow> for KeyOwner {
    fn from(r: KeyOwnerRow) -> Self {
        KeyOwner {
            key_id: r.key_id,
            tenant_id: r.tenant_id,
            tenant_number: r.tenant_number,
            tenant_slug: r.tenant_slug,
            tenant_name: r.tenant_name,
        }
    }
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

    pub async fn insert_api_key(
        &mut self,
        id: Uuid,
        tenant_id: Uuid,
        prefix: &str,
        secret_hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(id)
        .bind(tenant_id)
        .bind(prefix)
        .bind(secret_hash)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Finds the live key with this hash and its tenant, in one query: it runs on every
    /// authenticated request.
    pub async fn key_owner(&mut self, secret_hash: &[u8]) -> Result<Option<KeyOwner>> {
        let row: Option<KeyOwnerRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT k.id AS key_id, t.id AS tenant_id, t.number AS tenant_number, \
                    t.slug AS tenant_slug, t.name AS tenant_name \
             FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
             WHERE k.secret_hash = $1 AND k.revoked_at IS NULL"
        )
        .bind(secret_hash)
        .fetch_optional(c)
        .await?);
        Ok(row.map(KeyOwner::from))
    }

    /// Revokes a key; answers the key as it now is, or None when there is no such key.
    pub async fn revoke_api_key(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<Option<ApiKey>> {
        let row: Option<ApiKeyRow> = with_conn!(self, |c| sqlx::query_as(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 \
             RETURNING id, tenant_id, prefix, created_at, revoked_at"
        )
        .bind(id)
        .bind(at)
        .fetch_optional(c)
        .await?);
        Ok(row.map(ApiKey::from))
    }
}
