//! Groups and their members.

use super::{with_conn, Result, Tx};
use crate::domain::group::{Group, GroupMember};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: i64,
    key: String,
    name: String,
    external_id: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<GroupRow> for Group {
    fn from(r: GroupRow) -> Self {
        Group {
            id: r.id,
            key: r.key,
            name: r.name,
            external_id: r.external_id,
            created_at: r.created_at,
        }
    }
}

/// `$first, $first+1, ...` for an IN list of `n` values.
pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Tx {
    pub async fn insert_group(
        &mut self,
        tenant: Uuid,
        key: &str,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<Group> {
        let row: GroupRow = with_conn!(self, |c| sqlx::query_as(
            "INSERT INTO groups (tenant_id, key, name, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, key, name, external_id, created_at"
        )
        .bind(tenant)
        .bind(key)
        .bind(name)
        .bind(at)
        .fetch_one(c)
        .await?);
        Ok(row.into())
    }

    pub async fn groups(&mut self, tenant: Uuid) -> Result<Vec<Group>> {
        let rows: Vec<GroupRow> = with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT id, key, name, external_id, created_at FROM groups WHERE tenant_id = $1 ORDER BY id"
        )
        .bind(tenant)
        .fetch_all(c)
        .await?
        });
        Ok(rows.into_iter().map(Group::from).collect())
    }

    pub async fn group(&mut self, tenant: Uuid, id: i64) -> Result<Option<Group>> {
        let row: Option<GroupRow> = with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT id, key, name, external_id, created_at FROM groups WHERE tenant_id = $1 AND id = $2"
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(c)
        .await?
        });
        Ok(row.map(Group::from))
    }

    /// The tenant's groups with these keys (unknown keys are simply absent).
    pub async fn groups_by_keys(&mut self, tenant: Uuid, keys: &[String]) -> Result<Vec<Group>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, key, name, external_id, created_at FROM groups WHERE tenant_id = $1 AND key IN ({})",
            placeholders(2, keys.len())
        );
        let rows: Vec<GroupRow> = with_conn!(self, |c| {
            let mut q = sqlx::query_as(&sql).bind(tenant);
            for k in keys {
                q = q.bind(k);
            }
            q.fetch_all(c).await?
        });
        Ok(rows.into_iter().map(Group::from).collect())
    }

    /// Adds a member; answers false when the user already was one.
    pub async fn add_group_member(
        &mut self,
        tenant: Uuid,
        group: i64,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(with_conn!(self, |c| sqlx::query(
            "INSERT INTO group_members (tenant_id, group_id, user_id, joined_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, group_id, user_id) DO NOTHING"
        )
        .bind(tenant)
        .bind(group)
        .bind(user)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
            > 0))
    }

    /// Writes a group's name and external id.
    pub async fn update_group(
        &mut self,
        tenant: Uuid,
        id: i64,
        name: &str,
        external_id: Option<&str>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "UPDATE groups SET name = $3, external_id = $4 WHERE tenant_id = $1 AND id = $2"
        )
        .bind(tenant)
        .bind(id)
        .bind(name)
        .bind(external_id)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Deletes a group and its memberships.
    pub async fn delete_group(&mut self, tenant: Uuid, id: i64) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2"
        )
        .bind(tenant)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
        with_conn!(self, |c| sqlx::query(
            "DELETE FROM groups WHERE tenant_id = $1 AND id = $2"
        )
        .bind(tenant)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn remove_group_member(
        &mut self,
        tenant: Uuid,
        group: i64,
        user: Uuid,
    ) -> Result<bool> {
        Ok(with_conn!(self, |c| sqlx::query(
            "DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND user_id = $3"
        )
        .bind(tenant)
        .bind(group)
        .bind(user)
        .execute(c)
        .await?
        .rows_affected()
            > 0))
    }

    pub async fn group_members(&mut self, tenant: Uuid, group: i64) -> Result<Vec<GroupMember>> {
        let rows: Vec<(Uuid, DateTime<Utc>)> = with_conn!(self, |c| sqlx::query_as(
            "SELECT user_id, joined_at FROM group_members \
             WHERE tenant_id = $1 AND group_id = $2 ORDER BY joined_at, user_id"
        )
        .bind(tenant)
        .bind(group)
        .fetch_all(c)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(user_id, joined_at)| GroupMember { user_id, joined_at })
            .collect())
    }

    /// Every membership of the tenant's groups: (group id, member), in join order.
    pub async fn all_group_members(&mut self, tenant: Uuid) -> Result<Vec<(i64, GroupMember)>> {
        let rows: Vec<(i64, Uuid, DateTime<Utc>)> = with_conn!(self, |c| sqlx::query_as(
            "SELECT group_id, user_id, joined_at FROM group_members \
             WHERE tenant_id = $1 ORDER BY joined_at, user_id"
        )
        .bind(tenant)
        .fetch_all(c)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(group, user_id, joined_at)| (group, GroupMember { user_id, joined_at }))
            .collect())
    }

    /// (user id, group key) for every group membership of these users.
    pub async fn group_keys_of(
        &mut self,
        tenant: Uuid,
        users: &[Uuid],
    ) -> Result<Vec<(Uuid, String)>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT gm.user_id, g.key FROM group_members gm JOIN groups g ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id \
             WHERE gm.tenant_id = $1 AND gm.user_id IN ({}) ORDER BY g.key",
            placeholders(2, users.len())
        );
        Ok(with_conn!(self, |c| {
            let mut q = sqlx::query_as(&sql).bind(tenant);
            for u in users {
                q = q.bind(*u);
            }
            q.fetch_all(c).await?
        }))
    }
}
