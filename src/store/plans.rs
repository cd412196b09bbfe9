//! Plans and the plans users hold.

use super::groups::placeholders;
use super::{with_conn, Result, Tx};
use crate::domain::plan::{Plan, PlanGrant, UserPlan};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<PlanRow> for Plan {
    fn from(r: PlanRow) -> Self {
        Plan {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct UserPlanRow {
    user_id: Uuid,
    plan_id: i64,
    name: String,
    valid_to: Option<NaiveDate>,
    granted_at: DateTime<Utc>,
}

impl Tx {
    pub async fn insert_plan(
        &mut self,
        tenant: Uuid,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<Plan> {
        let row: PlanRow = with_conn!(self, |c| sqlx::query_as(
            "INSERT INTO plans (tenant_id, name, created_at) VALUES ($1, $2, $3) \
             RETURNING id, name, created_at"
        )
        .bind(tenant)
        .bind(name)
        .bind(at)
        .fetch_one(c)
        .await?);
        Ok(row.into())
    }

    pub async fn plans(&mut self, tenant: Uuid) -> Result<Vec<Plan>> {
        let rows: Vec<PlanRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT id, name, created_at FROM plans WHERE tenant_id = $1 ORDER BY id"
        )
        .bind(tenant)
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().map(Plan::from).collect())
    }

    pub async fn plan(&mut self, tenant: Uuid, id: i64) -> Result<Option<Plan>> {
        let row: Option<PlanRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT id, name, created_at FROM plans WHERE tenant_id = $1 AND id = $2"
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(c)
        .await?);
        Ok(row.map(Plan::from))
    }

    /// Gives the user the plan; a plan the user already holds gets the new `valid_to`.
    pub async fn grant_plan(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        grant: &PlanGrant,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO user_plans (tenant_id, user_id, plan_id, valid_to, granted_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, user_id, plan_id) DO UPDATE SET valid_to = excluded.valid_to, \
             granted_at = excluded.granted_at"
        )
        .bind(tenant)
        .bind(user)
        .bind(grant.plan_id)
        .bind(grant.valid_to)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The plans of these users (expired ones included), as (user, plan), in plan order.
    pub async fn plans_of(
        &mut self,
        tenant: Uuid,
        users: &[Uuid],
    ) -> Result<Vec<(Uuid, UserPlan)>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT up.user_id, up.plan_id, p.name, up.valid_to, up.granted_at \
             FROM user_plans up JOIN plans p ON p.id = up.plan_id AND p.tenant_id = up.tenant_id \
             WHERE up.tenant_id = $1 AND up.user_id IN ({}) ORDER BY up.plan_id",
            placeholders(2, users.len())
        );
        let rows: Vec<UserPlanRow> = with_conn!(self, |c| {
            let mut q = sqlx::query_as(&sql).bind(tenant);
            for u in users {
                q = q.bind(*u);
            }
            q.fetch_all(c).await?
        });
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.user_id,
                    UserPlan {
                        plan_id: r.plan_id,
                        name: r.name,
                        valid_to: r.valid_to,
                        granted_at: r.granted_at,
                    },
                )
            })
            .collect())
    }
}
