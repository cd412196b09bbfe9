//! `/v1/plans`: the tenant's plans (Publica.la's `assign_new_plan` names one by id).

use super::wire::List;
use crate::domain::fields::DisplayName;
use crate::domain::plan::Plan;
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, ProblemBody};
use crate::http::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new().routes(routes!(create, list))
}

/// A plan users can be on (Publica.la's plans).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Plan, example = json!({"id": 3, "name": "Premium annual", "created_at": "2026-11-02T09:00:00Z"}))]
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreatePlanRequest, example = json!({"name": "Premium annual"}))]
struct CreatePlan {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
}

#[utoipa::path(
    post,
    path = "/v1/plans",
    tag = tag::NATIVE,
    operation_id = "createPlan",
    summary = "Create a plan",
    description = "Creates a plan; names are unique in the tenant. Honours `Idempotency-Key`.",
    request_body = CreatePlan,
    responses(
        (status = 201, description = "Created", body = PlanBody),
        (status = 409, description = "The name is taken", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "`name` breaks a rule, or the Idempotency-Key was used \
with another request", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreatePlan>,
) -> ApiResult<(StatusCode, Json<PlanBody>)> {
    let name = DisplayName::parse("name", &body.name)?;
    let plan = state.services.create_plan(&caller.ctx, name).await?;
    Ok((StatusCode::CREATED, Json(plan.into())))
}

#[utoipa::path(
    get,
    path = "/v1/plans",
    tag = tag::NATIVE,
    operation_id = "listPlans",
    summary = "List plans",
    description = "Every plan of the tenant. Not paged: `next_cursor` is null.",
    responses((status = 200, description = "The plans", body = List<PlanBody>)),
    security(("api_key" = [])),
)]
async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<PlanBody>>> {
    let plans = state.services.plans(&caller.ctx).await?;
    Ok(Json(List::all(
        plans.into_iter().map(PlanBody::from).collect(),
    )))
}
