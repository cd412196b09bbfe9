//! The outbox as the delivery worker sees it: claim due emails, then settle each.

use super::{Context, Error, Result, Services};
use crate::domain::outbox::EmailDelivery;
use crate::domain::permission::Permission;
use crate::domain::Entity;
use crate::store::ClaimedEmail;
use chrono::{DateTime, Utc};
use uuid::Uuid;

impl Services {
    /// Claims due emails for `lease` (after which another worker may take them).
    #[tracing::instrument(skip_all)]
    pub async fn claim_emails(
        &self,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedEmail>> {
        let at = self.now();
        let mut tx = self.store.write().await?;
        let claimed = tx.claim_emails(at, at + lease, limit).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    #[tracing::instrument(skip_all, fields(email = %id))]
    pub async fn email_sent(&self, id: Uuid) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.email_sent(id, self.now()).await?;
        Ok(tx.commit().await?)
    }

    #[tracing::instrument(skip_all, fields(email = %id))]
    pub async fn email_retry(&self, id: Uuid, error: &str, retry_at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.email_retry(id, error, retry_at).await?;
        Ok(tx.commit().await?)
    }

    #[tracing::instrument(skip_all, fields(email = %id))]
    pub async fn email_failed(&self, id: Uuid, error: &str) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.email_failed(id, error).await?;
        Ok(tx.commit().await?)
    }

    /// Delivery status of every email about a user.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %user))]
    pub async fn emails_of(&self, ctx: &Context, user: Uuid) -> Result<Vec<EmailDelivery>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        tx.user(ctx.tenant, user, false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        Ok(tx.emails_of(ctx.tenant, user).await?)
    }
}
