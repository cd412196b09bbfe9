//! Listing users by a query (SCIM's filters): one SQL query in the store, never a scan here.

use super::users::NumberedPage;
use super::{view, Error};
use super::{with_groups, Context, Result, Services, UserView};
use crate::domain::query::{UserOrder, UserQuery};
use crate::domain::Entity;
use uuid::Uuid;

impl Services {
    /// The users matching `query` in `order`, `offset` skipped, at most `limit`, with how many
    /// match in all, read in one snapshot.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn users_matching(
        &self,
        ctx: &Context,
        query: &UserQuery,
        order: UserOrder,
        offset: u64,
        limit: u32,
    ) -> Result<NumberedPage<UserView>> {
        let mut tx = self.store.read().await?;
        let (users, total) = tx
            .users_matching(ctx.tenant, query, order, offset, limit)
            .await?;
        let items = with_groups(&mut tx, ctx.tenant, users).await?;
        Ok(NumberedPage { items, total })
    }

    /// The user, unless their identity provider deleted them (see [`Services::deprovision`]).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %id))]
    pub async fn provisioned_user(&self, ctx: &Context, id: Uuid) -> Result<UserView> {
        let mut tx = self.store.read().await?;
        let user = tx
            .user(ctx.tenant, id, false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        if tx.is_deprovisioned(ctx.tenant, id).await? {
            return Err(Error::NotFound(Entity::User));
        }
        view(&mut tx, ctx.tenant, user).await
    }
}
