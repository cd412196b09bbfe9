//! Groups and memberships.

use super::error::taken_as;
use super::{Context, Error, Result, Services};
use crate::domain::event::{NewEvent, Note};
use crate::domain::fields::{DisplayName, ExternalId, GroupKey};
use crate::domain::group::Group;
use crate::domain::group::GroupMember;
use crate::domain::permission::Permission;
use crate::domain::user::Change;
use crate::domain::Entity;
use crate::store::Tx;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashMap;
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

    /// Every group of the tenant with its members: two queries in one snapshot.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn groups_with_members(
        &self,
        ctx: &Context,
    ) -> Result<Vec<(Group, Vec<GroupMember>)>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        let groups = tx.groups(ctx.tenant).await?;
        let mut members: HashMap<i64, Vec<GroupMember>> = HashMap::new();
        for (group, member) in tx.all_group_members(ctx.tenant).await? {
            members.entry(group).or_default().push(member);
        }
        Ok(groups
            .into_iter()
            .map(|g| {
                let of = members.remove(&g.id).unwrap_or_default();
                (g, of)
            })
            .collect())
    }

    /// Creates a group with these members: one transaction.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_group_with_members(
        &self,
        ctx: &Context,
        key: GroupKey,
        name: DisplayName,
        external_id: Option<ExternalId>,
        members: &[Uuid],
    ) -> Result<(Group, Vec<GroupMember>)> {
        ctx.require_one(&[Permission::ManageGroups])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let group = tx
            .insert_group(ctx.tenant, key.as_str(), name.as_str(), at)
            .await
            .map_err(taken_as("key"))?;
        let group = match external_id {
            Some(x) => {
                tx.update_group(ctx.tenant, group.id, &group.name, Some(x.as_str()))
                    .await?;
                Group {
                    external_id: Some(x.as_str().to_owned()),
                    ..group
                }
            }
            None => group,
        };
        let change = GroupChange {
            add: members.to_vec(),
            ..GroupChange::default()
        };
        change_members(&mut tx, ctx, &group, &change, at).await?;
        let members = tx.group_members(ctx.tenant, group.id).await?;
        tx.commit().await?;
        Ok((group, members))
    }

    /// Renames a group and changes its members: one transaction.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, group = id))]
    pub async fn change_group(
        &self,
        ctx: &Context,
        id: i64,
        change: GroupChange,
    ) -> Result<(Group, Vec<GroupMember>)> {
        ctx.require_one(&[Permission::ManageGroups])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let mut group = tx
            .group(ctx.tenant, id)
            .await?
            .ok_or(Error::NotFound(Entity::Group))?;
        if let Some(name) = &change.name {
            group.name = name.as_str().to_owned();
        }
        match &change.external_id {
            Change::Keep => {}
            Change::Clear => group.external_id = None,
            Change::Set(x) => group.external_id = Some(x.as_str().to_owned()),
        }
        if change.name.is_some() || change.external_id != Change::Keep {
            tx.update_group(ctx.tenant, id, &group.name, group.external_id.as_deref())
                .await?;
        }
        change_members(&mut tx, ctx, &group, &change, at).await?;
        let members = tx.group_members(ctx.tenant, id).await?;
        tx.commit().await?;
        Ok((group, members))
    }

    /// Deletes a group; each member leaves it (one event each).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, group = id))]
    pub async fn delete_group(&self, ctx: &Context, id: i64) -> Result<()> {
        ctx.require_one(&[Permission::ManageGroups])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let group = tx
            .group(ctx.tenant, id)
            .await?
            .ok_or(Error::NotFound(Entity::Group))?;
        let members = tx.group_members(ctx.tenant, id).await?;
        tx.delete_group(ctx.tenant, id).await?;
        let events: Vec<NewEvent> = members
            .iter()
            .map(|m| {
                NewEvent::about(m.user_id, "group_left")
                    .details(json!({ "group": group.key, "group_deleted": true }))
            })
            .collect();
        tx.append_events(&ctx.origin(&Note::default(), at), &events)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A change of a group: a new name, members added and removed, or (`members`) the whole list.
#[derive(Debug, Clone, Default)]
pub struct GroupChange {
    pub name: Option<DisplayName>,
    pub external_id: Change<ExternalId>,
    pub add: Vec<Uuid>,
    pub remove: Vec<Uuid>,
    /// The members the group ends with, instead of `add` and `remove`.
    pub members: Option<Vec<Uuid>>,
}

/// Applies the member part of a change inside `tx`, one event per user who joins or leaves.
/// A user who is not the tenant's refuses the whole change.
async fn change_members(
    tx: &mut Tx,
    ctx: &Context,
    group: &Group,
    change: &GroupChange,
    at: DateTime<Utc>,
) -> Result<()> {
    let (add, remove): (Vec<Uuid>, Vec<Uuid>) = match &change.members {
        Some(wanted) => {
            let current: Vec<Uuid> = tx
                .group_members(ctx.tenant, group.id)
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            (
                wanted
                    .iter()
                    .filter(|u| !current.contains(u))
                    .copied()
                    .collect(),
                current
                    .into_iter()
                    .filter(|u| !wanted.contains(u))
                    .collect(),
            )
        }
        None => (change.add.clone(), change.remove.clone()),
    };
    let mut events = Vec::new();
    for user in &add {
        tx.user(ctx.tenant, *user, false).await?.ok_or_else(|| {
            Error::invalid("members", format!("{user} is not a user of this tenant"))
        })?;
        if tx.add_group_member(ctx.tenant, group.id, *user, at).await? {
            events.push(
                NewEvent::about(*user, "group_joined").details(json!({ "group": group.key })),
            );
        }
    }
    for user in &remove {
        if tx.remove_group_member(ctx.tenant, group.id, *user).await? {
            events
                .push(NewEvent::about(*user, "group_left").details(json!({ "group": group.key })));
        }
    }
    tx.append_events(&ctx.origin(&Note::default(), at), &events)
        .await?;
    Ok(())
}
