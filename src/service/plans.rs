//! Plans, and the plans users hold.

use super::error::taken_as;
use super::{Context, Error, Result, Services, UserView};
use crate::domain::event::{NewEvent, Note};
use crate::domain::fields::DisplayName;
use crate::domain::permission::Permission;
use crate::domain::plan::{Plan, PlanGrant, UserPlan};
use crate::store::Tx;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// A user with the plans they hold (expired ones included).
#[derive(Debug, Clone)]
pub struct UserWithPlans {
    pub user: UserView,
    pub plans: Vec<UserPlan>,
}

impl Services {
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_plan(&self, ctx: &Context, name: DisplayName) -> Result<Plan> {
        ctx.require_one(&[Permission::ManageCatalogue])?;
        let mut tx = self.store.write().await?;
        let plan = tx
            .insert_plan(ctx.tenant, name.as_str(), self.now())
            .await
            .map_err(taken_as("name"))?;
        tx.commit().await?;
        Ok(plan)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn plans(&self, ctx: &Context) -> Result<Vec<Plan>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        Ok(self.store.read().await?.plans(ctx.tenant).await?)
    }
}

/// Gives `user` the plan inside `tx`, with its event. A plan the tenant lacks is an invalid
/// `plan` field.
pub(crate) async fn grant_plan(
    tx: &mut Tx,
    ctx: &Context,
    user: Uuid,
    grant: &PlanGrant,
    note: &Note,
    at: DateTime<Utc>,
) -> Result<()> {
    let plan = tx
        .plan(ctx.tenant, grant.plan_id)
        .await?
        .ok_or_else(|| Error::invalid("plan", "is not a plan of this tenant"))?;
    tx.grant_plan(ctx.tenant, user, grant, at).await?;
    tx.append_event(
        &ctx.origin(note, at),
        &NewEvent::about(user, "plan_granted").details(json!({
            "plan_id": plan.id,
            "plan": plan.name,
            "valid_to": grant.valid_to,
        })),
    )
    .await?;
    Ok(())
}

/// Attaches their plans to users with one query for the whole page.
pub(crate) async fn with_plans(
    tx: &mut Tx,
    tenant: Uuid,
    users: Vec<UserView>,
) -> Result<Vec<UserWithPlans>> {
    let ids: Vec<Uuid> = users.iter().map(|v| v.user.id).collect();
    let mut plans: HashMap<Uuid, Vec<UserPlan>> = HashMap::new();
    for (user, plan) in tx.plans_of(tenant, &ids).await? {
        plans.entry(user).or_default().push(plan);
    }
    Ok(users
        .into_iter()
        .map(|user| UserWithPlans {
            plans: plans.remove(&user.user.id).unwrap_or_default(),
            user,
        })
        .collect())
}
