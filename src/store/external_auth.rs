//! External sign-in keys, the token ids already used, and roster's own per-tenant secrets.

use super::{with_conn, Result, Tx};
use crate::domain::external_token::{ExternalAuthKey, SigningAlgorithm};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct KeyRow {
    algorithm: String,
    key_material: String,
    audience: String,
    issuer: Option<String>,
    create_users: bool,
}

impl Tx {
    /// Registers (or replaces) the tenant's external sign-in key.
    pub async fn put_external_auth_key(
        &mut self,
        tenant: Uuid,
        key: &ExternalAuthKey,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
            "INSERT INTO external_auth_keys (tenant_id, algorithm, key_material, audience, issuer, \
             create_users, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (tenant_id) DO UPDATE SET algorithm = excluded.algorithm, \
             key_material = excluded.key_material, audience = excluded.audience, \
             issuer = excluded.issuer, create_users = excluded.create_users, \
             updated_at = excluded.updated_at"
        )
        .bind(tenant)
        .bind(key.algorithm.as_str())
        .bind(&key.key)
        .bind(&key.audience)
        .bind(&key.issuer)
        .bind(key.create_users)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    pub async fn external_auth_key(&mut self, tenant: Uuid) -> Result<Option<ExternalAuthKey>> {
        let row: Option<KeyRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT algorithm, key_material, audience, issuer, create_users \
             FROM external_auth_keys WHERE tenant_id = $1"
        )
        .bind(tenant)
        .fetch_optional(c)
        .await?);
        row.map(|r| {
            let algorithm = SigningAlgorithm::parse("algorithm", &r.algorithm).map_err(|e| {
                super::StoreError::Corrupt(format!("external_auth_keys.algorithm: {}", e.message))
            })?;
            Ok(ExternalAuthKey {
                algorithm,
                key: r.key_material,
                audience: r.audience,
                issuer: r.issuer,
                create_users: r.create_users,
            })
        })
        .transpose()
    }

    /// Forgets the tenant's key; answers whether there was one.
    pub async fn delete_external_auth_key(&mut self, tenant: Uuid) -> Result<bool> {
        let n = with_conn!(self, |c| sqlx::query(
            "DELETE FROM external_auth_keys WHERE tenant_id = $1"
        )
        .bind(tenant)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n > 0)
    }

    /// Records a token id as used; answers false if it was already (a replay). Ids whose
    /// tokens have expired are forgotten first.
    pub async fn use_token_id(
        &mut self,
        tenant: Uuid,
        kind: &str,
        jti: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        with_conn!(self, |c| sqlx::query(
            "DELETE FROM used_token_ids WHERE tenant_id = $1 AND expires_at < $2"
        )
        .bind(tenant)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        let n = with_conn!(self, |c| {
            sqlx::query(
            "INSERT INTO used_token_ids (tenant_id, kind, jti, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, kind, jti) DO NOTHING"
        )
        .bind(tenant)
        .bind(kind)
        .bind(jti)
        .bind(expires_at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(n == 1)
    }

    /// The tenant's secret for `purpose`, if it was made.
    pub async fn find_tenant_secret(
        &mut self,
        tenant: Uuid,
        purpose: &str,
    ) -> Result<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> = with_conn!(self, |c| sqlx::query_as(
            "SELECT secret FROM tenant_secrets WHERE tenant_id = $1 AND purpose = $2"
        )
        .bind(tenant)
        .bind(purpose)
        .fetch_optional(c)
        .await?);
        Ok(row.map(|(s,)| s))
    }

    /// The tenant's secret for `purpose`, made from `fresh` on first use.
    pub async fn tenant_secret(
        &mut self,
        tenant: Uuid,
        purpose: &str,
        fresh: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<u8>> {
        with_conn!(self, |c| {
            sqlx::query(
            "INSERT INTO tenant_secrets (tenant_id, purpose, secret, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, purpose) DO NOTHING"
        )
        .bind(tenant)
        .bind(purpose)
        .bind(fresh)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
        });
        let (secret,): (Vec<u8>,) = with_conn!(self, |c| sqlx::query_as(
            "SELECT secret FROM tenant_secrets WHERE tenant_id = $1 AND purpose = $2"
        )
        .bind(tenant)
        .bind(purpose)
        .fetch_one(c)
        .await?);
        Ok(secret)
    }
}
