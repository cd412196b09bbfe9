//! Liveness and readiness probes.

use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, readyz))]
pub struct Api;

/// A probe's answer. Documentation only: the probes build it with `json!`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct Health {
    /// `ok` (liveness) or `ready` (readiness).
    status: String,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
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
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
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
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    match state.services.store().ping().await {
        Ok(()) => Ok(Json(json!({ "status": "ready" }))),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            Err(Problem::unavailable())
        }
    }
}
