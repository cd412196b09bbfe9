//! The roles a tenant defined. Built-in roles are not stored: the domain knows them.

use super::{with_conn, Result, Tx};
use crate::domain::permission::Permissions;
use crate::domain::role::CustomRole;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct RoleRow {
    name: String,
    description: Option<String>,
    permissions: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<RoleRow> for CustomRole {
    fn from(r: RoleRow) -> Self {
        CustomRole {
            name: r.name,
            description: r.description,
            permissions: Permissions::from_stored(&r.permissions),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const ROLE_COLUMNS: &str = "name, description, permissions, created_at, updated_at";

impl Tx {
    pub async fn custom_roles(&mut self, tenant: Uuid) -> Result<Vec<CustomRole>> {
        let sql = format!("SELECT {ROLE_COLUMNS} FROM roles WHERE tenant_id = $1 ORDER BY name");
        let rows: Vec<RoleRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .fetch_all(c)
            .await?);
        Ok(rows.into_iter().map(CustomRole::from).collect())
    }

    pub async fn custom_role(&mut self, tenant: Uuid, name: &str) -> Result<Option<CustomRole>> {
        let sql = format!("SELECT {ROLE_COLUMNS} FROM roles WHERE tenant_id = $1 AND name = $2");
        let row: Option<RoleRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(name)
            .fetch_optional(c)
            .await?);
        Ok(row.map(CustomRole::from))
    }

    /// Adds a role; answers false when the tenant already has one of this name.
    pub async fn insert_custom_role(&mut self, tenant: Uuid, role: &CustomRole) -> Result<bool> {
        let added = with_conn!(self, |c| {
            sqlx::query(
            "INSERT INTO roles (tenant_id, name, description, permissions, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (tenant_id, name) DO NOTHING"
        )
        .bind(tenant)
        .bind(&role.name)
        .bind(&role.description)
        .bind(role.permissions.to_stored())
        .bind(role.created_at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(added == 1)
    }

    /// Changes a role's description and permissions; answers false when there is none.
    pub async fn update_custom_role(&mut self, tenant: Uuid, role: &CustomRole) -> Result<bool> {
        let changed = with_conn!(self, |c| sqlx::query(
            "UPDATE roles SET description = $3, permissions = $4, updated_at = $5 \
             WHERE tenant_id = $1 AND name = $2"
        )
        .bind(tenant)
        .bind(&role.name)
        .bind(&role.description)
        .bind(role.permissions.to_stored())
        .bind(role.updated_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(changed == 1)
    }

    pub async fn delete_custom_role(&mut self, tenant: Uuid, name: &str) -> Result<bool> {
        let deleted = with_conn!(self, |c| sqlx::query(
            "DELETE FROM roles WHERE tenant_id = $1 AND name = $2"
        )
        .bind(tenant)
        .bind(name)
        .execute(c)
        .await?
        .rows_affected());
        Ok(deleted == 1)
    }

    /// How many users of the tenant hold the role.
    pub async fn role_holders(&mut self, tenant: Uuid, name: &str) -> Result<i64> {
        let pattern = format!("%,{},%", name.replace('_', "\\_"));
        let (n,): (i64,) = with_conn!(self, |c| sqlx::query_as(
            "SELECT COUNT(*) FROM users WHERE tenant_id = $1 \
             AND (',' || roles || ',') LIKE $2 ESCAPE '\\'"
        )
        .bind(tenant)
        .bind(&pattern)
        .fetch_one(c)
        .await?);
        Ok(n)
    }

    /// The permissions these custom roles of the tenant grant together.
    pub async fn custom_role_permissions(
        &mut self,
        tenant: Uuid,
        names: &[&str],
    ) -> Result<Permissions> {
        let mut all = Permissions::default();
        if names.is_empty() {
            return Ok(all);
        }
        // One statement, however many roles: this runs for every Rocket.Chat call of a user
        // who holds a custom role.
        let params: Vec<String> = (2..names.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT permissions FROM roles WHERE tenant_id = $1 AND name IN ({})",
            params.join(", ")
        );
        let rows: Vec<(String,)> = with_conn!(self, |c| {
            let mut q = sqlx::query_as(&sql).bind(tenant);
            for name in names {
                q = q.bind(*name);
            }
            q.fetch_all(c).await?
        });
        for (stored,) in rows {
            all.extend(&Permissions::from_stored(&stored));
        }
        Ok(all)
    }
}
