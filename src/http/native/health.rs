//! Liveness and readiness probes.

use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, ProblemBody};
use crate::http::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa_axum::routes;

/// A probe's answer.
#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    /// `ok` (liveness) or `ready` (readiness).
    #[schema(example = "ok")]
    status: &'static str,
}

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = tag::NATIVE,
    operation_id = "healthz",
    summary = "Liveness probe",
    description = "Answers as long as the process serves HTTP; does not touch the database. \
No credential.",
    responses(
        (status = 200, description = "Alive", body = Health, example = json!({"status": "ok"})),
    ),
)]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can reach its database.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = tag::NATIVE,
    operation_id = "readyz",
    summary = "Readiness probe",
    description = "Answers 200 when the database answers, 503 when it does not. No credential.",
    responses(
        (status = 200, description = "Ready", body = Health, example = json!({"status": "ready"})),
        (status = 503, description = "The database is unreachable", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
)]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.services.ready().await?;
    Ok(Json(Health { status: "ready" }))
}
