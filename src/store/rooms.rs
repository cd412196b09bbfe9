//! Rooms and room memberships.

use super::{parse_stored, with_conn, Result, Tx};
use crate::domain::room::{MemberRole, Room, RoomFacts, RoomKind, RoomMember};
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
            kind: parse_stored("rooms.kind", &self.kind)?,
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

    /// The room with this id in the tenant. `for_update` locks it for this transaction
    /// (Postgres; SQLite's write transaction holds the whole database).
    pub async fn room(&mut self, tenant: Uuid, id: Uuid, for_update: bool) -> Result<Option<Room>> {
        let select =
            "SELECT id, name, kind, created_at FROM rooms WHERE tenant_id = $1 AND id = $2";
        let locked = if for_update {
            format!("{select} FOR UPDATE")
        } else {
            select.to_owned()
        };
        let row: Option<RoomRow> =
            with_conn!(self, sql = (locked.as_str(), select), |c| sqlx::query_as(
                sql
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
             ON CONFLICT (tenant_id, room_id, user_id) DO UPDATE SET role = excluded.role"
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

#[derive(sqlx::FromRow)]
struct FactsRow {
    room_id: Uuid,
    name: String,
    kind: String,
    role: String,
    other_active_owners: i64,
    other_members: i64,
    oldest_active_member: Option<Uuid>,
}

/// Rows per statement when a change touches many rooms: few round trips, and well below
/// either backend's limit on bound parameters.
const BATCH: usize = 200;

impl Tx {
    /// Locks every room the user belongs to, in id order, so that two deactivations touching
    /// one room run one after the other (and, locking in one order, cannot deadlock). Answers
    /// how many rooms that is.
    pub async fn lock_rooms_of(&mut self, tenant: Uuid, user: Uuid) -> Result<usize> {
        let select = "SELECT r.id FROM rooms r \
             WHERE r.tenant_id = $1 AND r.id IN (SELECT room_id FROM room_members WHERE tenant_id = $1 AND user_id = $2) \
             ORDER BY r.id";
        let locked = format!("{select} FOR UPDATE");
        // SQLite's write transaction already holds the whole database.
        let rooms: Vec<(Uuid,)> =
            with_conn!(self, sql = (locked.as_str(), select), |c| sqlx::query_as(
                sql
            )
            .bind(tenant)
            .bind(user)
            .fetch_all(c)
            .await?);
        Ok(rooms.len())
    }

    /// The facts of every room the user belongs to, in one query however many rooms.
    pub async fn room_facts(&mut self, tenant: Uuid, user: Uuid) -> Result<Vec<RoomFacts>> {
        let rows: Vec<FactsRow> = with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT r.id AS room_id, r.name, r.kind, m.role, \
               (SELECT COUNT(*) FROM room_members o JOIN users u ON u.tenant_id = o.tenant_id AND u.id = o.user_id \
                 WHERE o.room_id = r.id AND o.user_id <> $2 AND o.role = 'owner' AND u.status = 'active') AS other_active_owners, \
               (SELECT COUNT(*) FROM room_members o WHERE o.room_id = r.id AND o.user_id <> $2) AS other_members, \
               (SELECT o.user_id FROM room_members o JOIN users u ON u.tenant_id = o.tenant_id AND u.id = o.user_id \
                 WHERE o.room_id = r.id AND o.user_id <> $2 AND u.status = 'active' ORDER BY o.seq LIMIT 1) AS oldest_active_member \
             FROM room_members m JOIN rooms r ON r.tenant_id = m.tenant_id AND r.id = m.room_id \
             WHERE m.tenant_id = $1 AND m.user_id = $2 \
             ORDER BY r.name"
        )
        .bind(tenant)
        .bind(user)
        .fetch_all(c)
        .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(RoomFacts {
                    room_id: r.room_id,
                    kind: parse_stored("rooms.kind", &r.kind)?,
                    role: parse_stored("room_members.role", &r.role)?,
                    name: r.name,
                    other_active_owners: r.other_active_owners,
                    other_members: r.other_members,
                    oldest_active_member: r.oldest_active_member,
                })
            })
            .collect()
    }

    /// Gives each (room, user) member the role `role`; answers how many members it changed.
    pub async fn set_roles(
        &mut self,
        tenant: Uuid,
        members: &[(Uuid, Uuid)],
        role: MemberRole,
    ) -> Result<u64> {
        let mut changed = 0;
        for chunk in members.chunks(BATCH) {
            let pairs = (0..chunk.len())
                .map(|i| format!("(room_id = ${} AND user_id = ${})", 3 + 2 * i, 4 + 2 * i))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql =
                format!("UPDATE room_members SET role = $2 WHERE tenant_id = $1 AND ({pairs})");
            changed += with_conn!(self, |c| {
                let mut q = sqlx::query(&sql).bind(tenant).bind(role.as_str());
                for (room, user) in chunk {
                    q = q.bind(*room).bind(*user);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(changed)
    }

    /// Deletes these rooms with their memberships.
    pub async fn delete_rooms(&mut self, tenant: Uuid, rooms: &[Uuid]) -> Result<()> {
        for chunk in rooms.chunks(BATCH) {
            let ids = super::groups::placeholders(2, chunk.len());
            for table_sql in [
                format!("DELETE FROM room_members WHERE tenant_id = $1 AND room_id IN ({ids})"),
                format!("DELETE FROM rooms WHERE tenant_id = $1 AND id IN ({ids})"),
            ] {
                with_conn!(self, |c| {
                    let mut q = sqlx::query(&table_sql).bind(tenant);
                    for room in chunk {
                        q = q.bind(*room);
                    }
                    q.execute(c).await?.rows_affected()
                });
            }
        }
        Ok(())
    }
}
