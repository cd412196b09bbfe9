//! Tenants and API keys: the operator's part of roster.

use super::error::taken_as;
use super::secrets::{self, API_KEY_PREFIX};
use super::{Context, Error, Result, Services};
use crate::domain::event::{NewEvent, Note};
use crate::domain::fields::{DisplayName, Slug};
use crate::domain::permission::{Permission, Scopes};
use crate::domain::tenant::{ApiKey, KeyOwner, Tenant};
use crate::domain::Entity;
use crate::store::{KeyRecord, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
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
        // A tenant's first key can do everything: it is how its admins start.
        let key = issue_key(&mut tx, tenant.id, "default", &Scopes::full(), at).await?;
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

    /// Issues a key for a tenant, as the operator.
    #[tracing::instrument(skip_all)]
    pub async fn create_api_key(
        &self,
        tenant: Uuid,
        name: &str,
        scopes: &Scopes,
    ) -> Result<NewApiKey> {
        let mut tx = self.store.write().await?;
        tx.tenant_by_id(tenant)
            .await?
            .ok_or(Error::NotFound(Entity::Tenant))?;
        let key = issue_key(&mut tx, tenant, name, scopes, self.now()).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Revokes any tenant's key, as the operator.
    #[tracing::instrument(skip_all, fields(key = %id))]
    pub async fn revoke_api_key(&self, id: Uuid) -> Result<ApiKey> {
        let mut tx = self.store.write().await?;
        let key = tx
            .revoke_api_key(None, id, self.now())
            .await?
            .ok_or(Error::NotFound(Entity::ApiKey))?;
        tx.commit().await?;
        self.keys.forget_all();
        Ok(key)
    }

    /// The caller's tenant's keys, never their secrets.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn api_keys(&self, ctx: &Context) -> Result<Vec<ApiKey>> {
        ctx.require_one(&[Permission::ManageKeys])?;
        Ok(self.store.read().await?.api_keys(ctx.tenant).await?)
    }

    /// Issues another key of the caller's tenant; audited.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn issue_api_key(
        &self,
        ctx: &Context,
        name: &DisplayName,
        scopes: &Scopes,
    ) -> Result<NewApiKey> {
        ctx.require_one(&[Permission::ManageKeys])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let key = issue_key(&mut tx, ctx.tenant, name.as_str(), scopes, at).await?;
        key_event(&mut tx, ctx, "api_key_created", &key.record, at).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Revokes a key of the caller's tenant at once; audited.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, key = %id))]
    pub async fn revoke_tenant_key(&self, ctx: &Context, id: Uuid) -> Result<ApiKey> {
        ctx.require_one(&[Permission::ManageKeys])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let key = tx
            .revoke_api_key(Some(ctx.tenant), id, at)
            .await?
            .ok_or(Error::NotFound(Entity::ApiKey))?;
        key_event(&mut tx, ctx, "api_key_revoked", &key, at).await?;
        tx.commit().await?;
        self.keys.forget_all();
        Ok(key)
    }

    /// Replaces a key with a new one of the same name and scopes; the old one keeps working
    /// for `overlap` more (zero: it ends now). One transaction, audited.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, key = %id))]
    pub async fn rotate_api_key(
        &self,
        ctx: &Context,
        id: Uuid,
        overlap: chrono::Duration,
    ) -> Result<(NewApiKey, ApiKey)> {
        ctx.require_one(&[Permission::ManageKeys])?;
        let at = self.now();
        let overlap_until = at + overlap.max(chrono::Duration::zero());
        let mut tx = self.store.write().await?;
        let old = tx
            .expire_api_key(ctx.tenant, id, at, overlap_until)
            .await?
            .ok_or(Error::NotFound(Entity::ApiKey))?;
        let new = issue_key(&mut tx, ctx.tenant, &old.name, &old.scopes, at).await?;
        let details = json!({ "replaced": old.id, "old_key_expires_at": old.expires_at });
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::tenant_wide("api_key_rotated").details(key_details(&new.record, details)),
        )
        .await?;
        tx.commit().await?;
        self.keys.forget_all();
        Ok((new, old))
    }

    /// The tenant behind a presented API key, if the key is live: from the key cache when it
    /// holds it (see `key_cache`), else from the database. Records its use, at most once a
    /// minute per key, so a busy key costs no write per call.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate_key(&self, secret: &str) -> Result<Option<KeyOwner>> {
        let at = self.now();
        let hash = secrets::hash(secret);
        let owner = match self.keys.get(&hash) {
            Some(cached) => Some(cached),
            None => {
                let ticket = self.keys.ticket();
                let found = self.store.read_one().await?.key_owner(&hash, at).await?;
                if let Some(owner) = &found {
                    self.keys.put(ticket, &hash, owner);
                }
                found
            }
        };
        let Some(owner) = owner.filter(|o| o.live_at(at)) else {
            return Ok(None);
        };
        let stale = owner
            .last_used_at
            .is_none_or(|last| at - last >= chrono::Duration::minutes(1));
        if stale {
            match self.touch_key(owner.key_id, at).await {
                Ok(()) => self.keys.touched(&hash, at),
                Err(e) => tracing::warn!(error = %e, "could not record an API key's use"),
            }
        }
        Ok(Some(owner))
    }

    /// Keeps this process's key cache in step with the key changes of every process on the
    /// same Postgres, for as long as the process runs; returns at once on SQLite (one process,
    /// no cache). While the listening connection is down the cache is off.
    pub async fn watch_keys(self) {
        loop {
            match self.store.key_changes().await {
                Ok(None) => return,
                Ok(Some(mut changes)) => {
                    self.keys.set_listening(true);
                    while changes.next().await.is_ok() {
                        self.keys.forget_all();
                    }
                    self.keys.set_listening(false);
                    tracing::warn!(
                        "lost the key-change listener; the key cache is off until it is back"
                    );
                }
                Err(e) => tracing::warn!(error = %e, "cannot listen for key changes yet"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    async fn touch_key(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.touch_api_key(id, at).await?;
        tx.commit().await?;
        Ok(())
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

async fn issue_key(
    tx: &mut Tx,
    tenant: Uuid,
    name: &str,
    scopes: &Scopes,
    at: DateTime<Utc>,
) -> Result<NewApiKey> {
    let minted = secrets::mint(API_KEY_PREFIX);
    let prefix = secrets::display_prefix(&minted.secret);
    let record = tx
        .insert_api_key(&KeyRecord {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name,
            scopes,
            prefix: &prefix,
            secret_hash: &minted.hash,
            at,
        })
        .await?;
    Ok(NewApiKey {
        secret: minted.secret,
        record,
    })
}

/// What the audit log says of a key: never its secret.
fn key_details(key: &ApiKey, mut extra: serde_json::Value) -> serde_json::Value {
    extra["key"] = json!({
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": key.scopes.names(),
    });
    extra
}

async fn key_event(
    tx: &mut Tx,
    ctx: &Context,
    action: &'static str,
    key: &ApiKey,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.append_event(
        &ctx.origin(&Note::default(), at),
        &NewEvent::tenant_wide(action).details(key_details(key, json!({}))),
    )
    .await?;
    Ok(())
}
