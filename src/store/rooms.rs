//! Rooms and room memberships.

use super::{parse_stored, with_conn, Result, StoreError, Tx};
use crate::domain::room::{MemberRole, Room, RoomKind, RoomMember};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct RoomRow {
    id: Uuid,
    name: String,
    kind: String,
    created_at: DateTime<Utc>,
}

impl RoomRow {
    fn into_room(self) -> Result<Room> {
        Ok(Room {
            id: self.id,
            kind: RoomKind::parse("kind", &self.kind)
                .map_err(|_| StoreError::Corrupt(format!("rooms.kind holds {:?}", self.kind)))?,
            name: self.name,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: Uuid,
    role: String,
    joined_at: DateTime<Utc>,
}

impl std::str::FromStr for MemberRole {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        MemberRole::parse("role", s).map_err(|_| ())
    }
}

impl Tx {
    pub async fn insert_room(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        name: &str,
        kind: RoomKind,
        at: DateTime<Utc>,
    ) -> Result<Room> {
        let row: RoomRow = with_conn!(self, |c| {
            sqlx::query_as(
            "INSERT INTO rooms (id, tenant_id, name, kind, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, name, kind, created_at"
        )
        .bind(id)
        .bind(tenant)
        .bind(name)
        .bind(kind.as_str())
        .bind(at)
        .fetch_one(c)
        .await?
        });
        row.into_room()
    }

    pub async fn room(&mut self, tenant: Uuid, id: Uuid) -> Result<Option<Room>> {
        let row: Option<RoomRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT id, name, kind, created_at FROM rooms WHERE tenant_id = $1 AND id = $2"
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(c)
        .await?);
        row.map(RoomRow::into_room).transpose()
    }

    pub async fn rooms(&mut self, tenant: Uuid) -> Result<Vec<Room>> {
        let rows: Vec<RoomRow> = with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT id, name, kind, created_at FROM rooms WHERE tenant_id = $1 ORDER BY created_at, id"
        )
        .bind(tenant)
        .fetch_all(c)
        .await?
        });
        rows.into_iter().map(RoomRow::into_room).collect()
    }

    /// The room's members in the order they joined.
    pub async fn room_members(&mut self, tenant: Uuid, room: Uuid) -> Result<Vec<RoomMember>> {
        let rows: Vec<MemberRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT user_id, role, joined_at FROM room_members \
             WHERE tenant_id = $1 AND room_id = $2 ORDER BY seq"
        )
        .bind(tenant)
        .bind(room)
        .fetch_all(c)
        .await?);
        rows.into_iter()
            .map(|r| {
                Ok(RoomMember {
                    user_id: r.user_id,
                    role: parse_stored("room_members.role", &r.role)?,
                    joined_at: r.joined_at,
                })
            })
            .collect()
    }

    /// Adds the user to the room, or sets the role of a user who already is a member.
    pub async fn put_room_member(
        &mut self,
        tenant: Uuid,
        room: Uuid,
        user: Uuid,
        role: MemberRole,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO room_members (tenant_id, room_id, user_id, role, joined_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role"
        )
        .bind(tenant)
        .bind(room)
        .bind(user)
        .bind(role.as_str())
        .bind(at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn remove_room_member(
        &mut self,
        tenant: Uuid,
        room: Uuid,
        user: Uuid,
    ) -> Result<bool> {
        Ok(with_conn!(self, |c| sqlx::query(
            "DELETE FROM room_members WHERE tenant_id = $1 AND room_id = $2 AND user_id = $3"
        )
        .bind(tenant)
        .bind(room)
        .bind(user)
        .execute(c)
        .await?
        .rows_affected()
            > 0))
    }
}
