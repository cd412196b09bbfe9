//! Tenants and API keys: the operator's part of roster.

use super::error::taken_as;
use super::secrets::{self, API_KEY_PREFIX};
use super::{Error, Result, Services};
use crate::domain::fields::{DisplayName, Slug};
use crate::domain::tenant::{ApiKey, KeyOwner, Tenant};
use crate::domain::Entity;
use crate::store::Tx;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A new API key: the secret (shown only now) and its record.
#[derive(Debug)]
pub struct NewApiKey {
    pub secret: String,
    pub record: ApiKey,
}

impl Services {
    #[tracing::instrument(skip_all)]
    pub async fn create_tenant(
        &self,
        slug: Slug,
        name: DisplayName,
    ) -> Result<(Tenant, NewApiKey)> {
        let mut tx = self.store.write().await?;
        let at = self.now();
        let tenant = tx
            .insert_tenant(Uuid::now_v7(), slug.as_str(), name.as_str(), at)
            .await
            .map_err(taken_as("slug"))?;
        let key = issue_key(&mut tx, tenant.id, at).await?;
        tx.commit().await?;
        Ok((tenant, key))
    }

    #[tracing::instrument(skip_all)]
    pub async fn tenants(&self) -> Result<Vec<Tenant>> {
        Ok(self.store.read().await?.tenants().await?)
    }

    /// The tenant with this slug or uuid.
    /// The tenant with this slug, uuid or account number (a slug of digits wins over the
    /// number it spells).
    #[tracing::instrument(skip_all)]
    pub async fn tenant(&self, slug_or_id: &str) -> Result<Tenant> {
        let mut tx = self.store.read().await?;
        let mut found = match Uuid::parse_str(slug_or_id) {
            Ok(id) => tx.tenant_by_id(id).await?,
            Err(_) => tx.tenant_by_slug(slug_or_id).await?,
        };
        if found.is_none() {
            if let Ok(number) = slug_or_id.parse::<i64>() {
                found = tx.tenant_by_number(number).await?;
            }
        }
        found.ok_or(Error::NotFound(Entity::Tenant))
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_api_key(&self, tenant: Uuid) -> Result<NewApiKey> {
        let mut tx = self.store.write().await?;
        tx.tenant_by_id(tenant)
            .await?
            .ok_or(Error::NotFound(Entity::Tenant))?;
        let key = issue_key(&mut tx, tenant, self.now()).await?;
        tx.commit().await?;
        Ok(key)
    }

    #[tracing::instrument(skip_all, fields(user = %id))]
    pub async fn revoke_api_key(&self, id: Uuid) -> Result<ApiKey> {
        let mut tx = self.store.write().await?;
        let key = tx
            .revoke_api_key(id, self.now())
            .await?
            .ok_or(Error::NotFound(Entity::ApiKey))?;
        tx.commit().await?;
        Ok(key)
    }

    /// The tenant behind a presented API key, if the key is live.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate_key(&self, secret: &str) -> Result<Option<KeyOwner>> {
        Ok(self
            .store
            .read_one()
            .await?
            .key_owner(&secrets::hash(secret))
            .await?)
    }

    /// On an empty database, creates the tenant `default` and answers it with its key.
    #[tracing::instrument(skip_all)]
    pub async fn ensure_default_tenant(&self) -> Result<Option<(Tenant, NewApiKey)>> {
        if !self.tenants().await?.is_empty() {
            return Ok(None);
        }
        let slug = Slug::parse("slug", "default").expect("a valid slug");
        let name = DisplayName::parse("name", "Default").expect("a valid name");
        match self.create_tenant(slug, name).await {
            Ok(created) => Ok(Some(created)),
            // Another roster process created it first.
            Err(Error::Taken(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

async fn issue_key(tx: &mut Tx, tenant: Uuid, at: DateTime<Utc>) -> Result<NewApiKey> {
    let minted = secrets::mint(API_KEY_PREFIX);
    let id = Uuid::now_v7();
    let prefix = secrets::display_prefix(&minted.secret);
    tx.insert_api_key(id, tenant, &prefix, &minted.hash, at)
        .await?;
    Ok(NewApiKey {
        secret: minted.secret,
        record: ApiKey {
            id,
            tenant_id: tenant,
            prefix,
            created_at: at,
            revoked_at: None,
        },
    })
}
