//! `/v1/plans`: the tenant's plans (Publica.la's `assign_new_plan` names one by id).

use super::wire::List;
use crate::domain::fields::DisplayName;
use crate::domain::plan::Plan;
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::problem::ApiResult;
use crate::http::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/plans", post(create).get(list))
}

#[derive(Serialize)]
struct PlanBody {
    id: i64,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<Plan> for PlanBody {
    fn from(p: Plan) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreatePlan {
    name: String,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreatePlan>,
) -> ApiResult<(StatusCode, Json<PlanBody>)> {
    let name = DisplayName::parse("name", &body.name)?;
    let plan = state.services.create_plan(&caller.ctx, name).await?;
    Ok((StatusCode::CREATED, Json(plan.into())))
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<PlanBody>>> {
    let plans = state.services.plans(&caller.ctx).await?;
    Ok(Json(List::all(
        plans.into_iter().map(PlanBody::from).collect(),
    )))
}
