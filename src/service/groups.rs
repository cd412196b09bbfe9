//! Groups and memberships.

use super::error::taken_as;
use super::{Context, Error, Result, Services};
use crate::domain::event::{NewEvent, Note};
use crate::domain::fields::{DisplayName, GroupKey};
use crate::domain::group::Group;
use crate::domain::group::GroupMember;
use crate::domain::permission::Permission;
use crate::domain::Entity;
use serde_json::json;
use uuid::Uuid;

impl Services {
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_group(
        &self,
        ctx: &Context,
        key: GroupKey,
        name: DisplayName,
    ) -> Result<Group> {
        ctx.require_one(&[Permission::ManageGroups])?;
        let mut tx = self.store.write().await?;
        let group = tx
            .insert_group(ctx.tenant, key.as_str(), name.as_str(), self.now())
            .await
            .map_err(taken_as("key"))?;
        tx.commit().await?;
        Ok(group)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn groups(&self, ctx: &Context) -> Result<Vec<Group>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        Ok(self.store.read().await?.groups(ctx.tenant).await?)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn group(&self, ctx: &Context, id: i64) -> Result<(Group, Vec<GroupMember>)> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        let group = tx
            .group(ctx.tenant, id)
            .await?
            .ok_or(Error::NotFound(Entity::Group))?;
        let members = tx.group_members(ctx.tenant, id).await?;
        Ok((group, members))
    }

    /// Adds a user to a group; answers whether they were not a member before.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %user, group))]
    pub async fn join_group(&self, ctx: &Context, group: i64, user: Uuid) -> Result<bool> {
        ctx.require_one(&[Permission::ManageGroups])?;
        self.change_membership(ctx, group, user, true).await
    }

    /// Removes a user from a group; answers whether they were a member.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %user, group))]
    pub async fn leave_group(&self, ctx: &Context, group: i64, user: Uuid) -> Result<bool> {
        ctx.require_one(&[Permission::ManageGroups])?;
        self.change_membership(ctx, group, user, false).await
    }

    async fn change_membership(
        &self,
        ctx: &Context,
        group: i64,
        user: Uuid,
        join: bool,
    ) -> Result<bool> {
        let at = self.now();
        let mut tx = self.store.write().await?;
        let g = tx
            .group(ctx.tenant, group)
            .await?
            .ok_or(Error::NotFound(Entity::Group))?;
        tx.user(ctx.tenant, user, true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let changed = if join {
            tx.add_group_member(ctx.tenant, group, user, at).await?
        } else {
            tx.remove_group_member(ctx.tenant, group, user).await?
        };
        if changed {
            let action = if join { "group_joined" } else { "group_left" };
            tx.append_event(
                &ctx.origin(&Note::default(), at),
                &NewEvent::about(user, action).details(json!({ "group": g.key })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}
