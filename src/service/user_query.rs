//! Listing users by a query (SCIM's filters): one SQL query in the store, never a scan here.

use super::users::NumberedPage;
use super::{view, Error};
use super::{with_groups, Context, Result, Services, UserView};
use crate::domain::event::{NewEvent, Note};
use crate::domain::extension::Extension;
use crate::domain::permission::Permission;
use crate::domain::query::{UserOrder, UserQuery};
use crate::domain::Entity;
use crate::store::Tx;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// Users' attributes of one extension schema, by user.
pub type Extensions = HashMap<Uuid, Map<String, Value>>;

impl Services {
    /// The users matching `query` in `order`, `offset` skipped, at most `limit`, with how many
    /// match in all and their attributes of the `extension` schema, read in one snapshot.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn users_matching(
        &self,
        ctx: &Context,
        query: &UserQuery,
        order: UserOrder,
        offset: u64,
        limit: u32,
        extension: &str,
    ) -> Result<(NumberedPage<UserView>, Extensions)> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        let (users, total) = tx
            .users_matching(ctx.tenant, query, order, offset, limit)
            .await?;
        let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
        let extensions = tx
            .extensions_of(ctx.tenant, &ids, extension)
            .await?
            .into_iter()
            .collect();
        let items = with_groups(&mut tx, ctx.tenant, users).await?;
        Ok((NumberedPage { items, total }, extensions))
    }

    /// The user, unless their identity provider deleted them (see [`Services::deprovision`]).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %id))]
    pub async fn provisioned_user(&self, ctx: &Context, id: Uuid) -> Result<UserView> {
        ctx.require_one(&[Permission::ViewUsers])?;
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

    /// These users' attributes of one extension, by user.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn extensions(
        &self,
        ctx: &Context,
        users: &[Uuid],
        schema: &str,
    ) -> Result<Extensions> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        Ok(tx
            .extensions_of(ctx.tenant, users, schema)
            .await?
            .into_iter()
            .collect())
    }
}

/// Gives a user whose row `tx` holds locked these extension attributes: when they change, a
/// new version of the user and a `profile_updated` event with the attributes before and after.
pub(crate) async fn set_extension_locked(
    tx: &mut Tx,
    ctx: &Context,
    user: UserView,
    ext: &Extension,
    at: DateTime<Utc>,
) -> Result<UserView> {
    let id = user.user.id;
    let before = tx
        .extensions_of(ctx.tenant, &[id], &ext.schema)
        .await?
        .pop()
        .map(|(_, attrs)| attrs)
        .unwrap_or_default();
    if before == ext.attributes {
        return Ok(user);
    }
    tx.set_extension(ctx.tenant, id, ext).await?;
    let touched = tx.touch_user(ctx.tenant, id, at).await?;
    tx.append_event(
        &ctx.origin(&Note::default(), at),
        &NewEvent::about(id, "profile_updated").details(json!({
            ext.schema.clone(): {"before": before, "after": ext.attributes}
        })),
    )
    .await?;
    Ok(UserView {
        user: touched,
        groups: user.groups,
    })
}
