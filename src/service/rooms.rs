//! Rooms and their members.

use super::error::taken_as;
use super::{Context, Error, Result, Services};
use crate::domain::event::{NewEvent, Note};
use crate::domain::fields::DisplayName;
use crate::domain::permission::Permission;
use crate::domain::room::{MemberRole, Room, RoomKind, RoomMember};
use crate::domain::Entity;
use serde_json::json;
use uuid::Uuid;

/// Whether a membership change expects the user to be a member already.
#[derive(Debug, Clone, Copy)]
pub enum RoomSeat {
    New,
    Taken,
}

impl Services {
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_room(
        &self,
        ctx: &Context,
        name: DisplayName,
        kind: RoomKind,
    ) -> Result<Room> {
        ctx.require_one(&[Permission::ManageRooms])?;
        let mut tx = self.store.write().await?;
        let room = tx
            .insert_room(ctx.tenant, Uuid::now_v7(), name.as_str(), kind, self.now())
            .await
            .map_err(taken_as("name"))?;
        tx.commit().await?;
        Ok(room)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn rooms(&self, ctx: &Context) -> Result<Vec<Room>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        Ok(self.store.read().await?.rooms(ctx.tenant).await?)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %id))]
    pub async fn room(&self, ctx: &Context, id: Uuid) -> Result<(Room, Vec<RoomMember>)> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        let room = tx
            .room(ctx.tenant, id, false)
            .await?
            .ok_or(Error::NotFound(Entity::Room))?;
        let members = tx.room_members(ctx.tenant, id).await?;
        Ok((room, members))
    }

    /// Puts the user in the room with `role`: as a new member ([`RoomSeat::New`]; one already
    /// there is a conflict) or as one already there whose role changes ([`RoomSeat::Taken`]).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %user))]
    pub async fn put_room_member(
        &self,
        ctx: &Context,
        room: Uuid,
        user: Uuid,
        role: MemberRole,
        expected: RoomSeat,
    ) -> Result<(Room, Vec<RoomMember>)> {
        ctx.require_one(&[Permission::ManageRooms])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        // The user, then the room: the order deactivation locks them in, so a membership change
        // and a hand-over of the same room run one after the other and cannot deadlock.
        tx.user(ctx.tenant, user, true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let r = tx
            .room(ctx.tenant, room, true)
            .await?
            .ok_or(Error::NotFound(Entity::Room))?;
        let before = tx.room_members(ctx.tenant, room).await?;
        let previous = before.iter().find(|m| m.user_id == user).map(|m| m.role);
        match (expected, previous) {
            (RoomSeat::New, Some(_)) => return Err(Error::Exists(Entity::RoomMember)),
            (RoomSeat::Taken, None) => return Err(Error::NotFound(Entity::RoomMember)),
            _ => {}
        }
        if previous != Some(role) {
            tx.put_room_member(ctx.tenant, room, user, role, at).await?;
            let action = if previous.is_some() {
                "room_role_changed"
            } else {
                "room_joined"
            };
            tx.append_event(
                &ctx.origin(&Note::default(), at),
                &NewEvent::about(user, action)
                    .details(json!({ "room": r.name, "role": role.as_str() })),
            )
            .await?;
        }
        let members = tx.room_members(ctx.tenant, room).await?;
        tx.commit().await?;
        Ok((r, members))
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %user))]
    pub async fn remove_room_member(&self, ctx: &Context, room: Uuid, user: Uuid) -> Result<()> {
        ctx.require_one(&[Permission::ManageRooms])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let r = tx
            .room(ctx.tenant, room, true)
            .await?
            .ok_or(Error::NotFound(Entity::Room))?;
        if !tx.remove_room_member(ctx.tenant, room, user).await? {
            return Err(Error::NotFound(Entity::RoomMember));
        }
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::about(user, "room_left").details(json!({ "room": r.name })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
