//! Tenants and their API keys.

use super::{with_conn, Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TenantRecord {
    pub id: Uuid,
    pub number: i64,
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The tenant behind a live API key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyOwner {
    pub key_id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_number: i64,
    pub tenant_slug: String,
    pub tenant_name: String,
}

const TENANT_COLUMNS: &str = "SELECT id, number, slug, name, created_at FROM tenants";

impl Tx {
    pub async fn insert_tenant(
        &mut self,
        id: Uuid,
        slug: &str,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<TenantRecord> {
        Ok(with_conn!(self, |c| sqlx::query_as(
            "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, number, slug, name, created_at"
        )
        .bind(id)
        .bind(slug)
        .bind(name)
        .bind(at)
        .fetch_one(c)
        .await?))
    }

    pub async fn tenants(&mut self) -> Result<Vec<TenantRecord>> {
        let sql = format!("{TENANT_COLUMNS} ORDER BY number");
        Ok(with_conn!(self, |c| sqlx::query_as(&sql)
            .fetch_all(c)
            .await?))
    }

    pub async fn tenant_by_id(&mut self, id: Uuid) -> Result<Option<TenantRecord>> {
        let sql = format!("{TENANT_COLUMNS} WHERE id = $1");
        Ok(with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(c)
            .await?))
    }

    pub async fn tenant_by_slug(&mut self, slug: &str) -> Result<Option<TenantRecord>> {
        let sql = format!("{TENANT_COLUMNS} WHERE slug = $1");
        Ok(with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(slug)
            .fetch_optional(c)
            .await?))
    }

    pub async fn tenant_by_number(&mut self, number: i64) -> Result<Option<TenantRecord>> {
        let sql = format!("{TENANT_COLUMNS} WHERE number = $1");
        Ok(with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(number)
            .fetch_optional(c)
            .await?))
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
        Ok(with_conn!(self, |c| sqlx::query_as(
            "SELECT k.id AS key_id, t.id AS tenant_id, t.number AS tenant_number, \
                    t.slug AS tenant_slug, t.name AS tenant_name \
             FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
             WHERE k.secret_hash = $1 AND k.revoked_at IS NULL"
        )
        .bind(secret_hash)
        .fetch_optional(c)
        .await?))
    }

    /// Revokes a key; answers the key as it now is, or None when there is no such key.
    pub async fn revoke_api_key(
        &mut self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiKeyRecord>> {
        Ok(with_conn!(self, |c| sqlx::query_as(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 \
             RETURNING id, tenant_id, prefix, created_at, revoked_at"
        )
        .bind(id)
        .bind(at)
        .fetch_optional(c)
        .await?))
    }
}
