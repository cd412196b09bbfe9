//! Impersonation: an admin (an API key with `impersonate-users`) opens a short-lived session
//! as a user; and the `impersonate` links of Publica.la's user list open one too.

use super::wire::{path_uuid, UserBody};
use crate::http::auth::{request_id, Caller};
use crate::http::json::ApiQuery;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::tenancy::path_tenant;
use crate::http::AppState;
use crate::service::sessions::Login;
use crate::service::Context;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(start))
        .routes(routes!(take))
}

/// An impersonation session: its token is shown only here.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Impersonation, example = json!({
    "token": "rss_8Jq2vX0cLk4mWn7pR1tY5uZ3aB6dE9fGh2Kq5Ws8Zx1",
    "session_id": "0190f5c1-8d2e-7f30-a142-b3c4d5e6f708",
    "expires_at": "2026-12-01T07:30:00Z",
    "impersonator": "api_key:0190f4ff-0000-7000-8000-000000000001",
    "impersonator_name": "support-desk",
    "user": super::wire::user_example()
}))]
struct Impersonation {
    /// A session token of the user's (`rss_...`), marked as this impersonation: use it as the
    /// user would (`Authorization: Bearer`, or Rocket.Chat's `X-Auth-Token`).
    token: String,
    session_id: Uuid,
    /// 30 minutes after the start.
    expires_at: DateTime<Utc>,
    /// Who acts as the user: recorded on the session and on every event made with it.
    impersonator: String,
    impersonator_name: Option<String>,
    user: UserBody,
}

async fn answer(state: &AppState, login: Login) -> ApiResult<Impersonation> {
    let ctx = Context::operator(login.user.tenant_id);
    let user = state.services.user(&ctx, login.user.id).await?;
    let admin = login
        .session
        .impersonator
        .clone()
        .ok_or_else(|| Problem::not_found("impersonation"))?;
    Ok(Impersonation {
        token: login.token,
        session_id: login.session.id,
        expires_at: login.session.expires_at,
        impersonator: admin.actor,
        impersonator_name: admin.name,
        user: user.into(),
    })
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/impersonations",
    tag = tag::NATIVE,
    operation_id = "impersonateUser",
    summary = "Act as a user (impersonation)",
    description = "Opens a 30-minute session of the user's for the caller, marked as \
impersonated by it (the API key): the session, and every event made with it, name the \
impersonator beside the user. Needs `impersonate-users` (the `full` scope; the `admin` role). \
The user's own sessions are untouched; a force logout of the user ends impersonation sessions \
too; an impersonation session cannot change the user's password or email. Starting is audited \
as `impersonation_started`; ending the session (`DELETE /v1/sessions/current`) as \
`impersonation_ended`. Only an `active` user can be impersonated.",
    params(("id" = String, Path, description = "The user's id (a UUID)")),
    responses(
        (status = 201, description = "The impersonation session", body = Impersonation),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The user is not active", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Impersonation>)> {
    let id = path_uuid(&id, "user")?;
    let login = state.services.impersonate(&caller.ctx, id).await?;
    Ok((StatusCode::CREATED, Json(answer(&state, login).await?)))
}

// By name: the path also names the tenant.
#[derive(Deserialize)]
struct TakePath {
    user: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TakeQuery {
    /// The ticket the link carries (signed by roster; opens once, within 10 minutes).
    ticket: String,
}

#[utoipa::path(
    get,
    path = "/t/{tenant}/impersonate/take/{user}",
    tag = tag::NATIVE,
    operation_id = "openImpersonationLink",
    summary = "Open an impersonation link",
    description = "The `impersonate` URL of Publica.la's user list and user answers (given to \
callers holding `impersonate-users`). Opening it starts the impersonation as \
`POST /v1/users/{id}/impersonations` does, for whoever listed the users. The ticket is the \
credential: no API key. Each link opens once, within 10 minutes of the list.",
    params(
        ("tenant" = String, Path, description = "The tenant's slug, id or account number"),
        ("user" = i64, Path, description = "The user's account number (Publica.la's `id`)"),
        TakeQuery,
    ),
    responses(
        (status = 201, description = "The impersonation session", body = Impersonation),
        (status = 400, description = "No `ticket`, or a query string that cannot be read",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant or user", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 410, description = "The link is invalid, was used or has expired",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The user is not active", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
)]
async fn take(
    State(state): State<AppState>,
    mut parts: Parts,
    Path(path): Path<TakePath>,
    ApiQuery(q): ApiQuery<TakeQuery>,
) -> ApiResult<(StatusCode, Json<Impersonation>)> {
    let tenant = path_tenant(&mut parts, &state).await?;
    let user: i64 = path.user.parse().map_err(|_| Problem::not_found("user"))?;
    let login = state
        .services
        .open_impersonation_link(tenant, user, &q.ticket, request_id(&parts))
        .await?;
    Ok((StatusCode::CREATED, Json(answer(&state, login).await?)))
}
