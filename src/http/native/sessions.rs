//! Sessions: logging in, introspecting a token, and a user's live sessions.

use super::wire::{path_uuid, List, SessionBody, UserBody};
use crate::http::auth::{bearer, Caller};
use crate::http::json::ApiJson;
use crate::http::problem::{ApiResult, Problem};
use crate::http::AppState;
use crate::service::Error;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/sessions", post(login))
        .route("/v1/sessions/current", get(current))
        .route("/v1/users/{id}/sessions", get(list).delete(revoke_all))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct LoginAnswer {
    token: String,
    expires_at: DateTime<Utc>,
    user: UserBody,
}

async fn login(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<(StatusCode, Json<LoginAnswer>)> {
    let login = state
        .services
        .login(&caller.ctx, &body.email, &body.password)
        .await?;
    let view = state.services.user(&caller.ctx, login.user.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(LoginAnswer {
            token: login.token,
            expires_at: login.session.expires_at,
            user: view.into(),
        }),
    ))
}

/// `GET /v1/sessions/current` with `Authorization: Bearer <session token>`.
async fn current(
    State(state): State<AppState>,
    parts: Parts,
) -> ApiResult<Json<serde_json::Value>> {
    let token = bearer(&parts).ok_or_else(|| {
        Problem::unauthorized("send the session token as Authorization: Bearer <token>")
    })?;
    let (session, user) = state
        .services
        .session_by_token(token)
        .await
        .map_err(|e| match e {
            Error::BadCredentials => {
                Problem::unauthorized("the session token is unknown, expired or revoked")
            }
            other => other.into(),
        })?;
    Ok(Json(json!({
        "session": SessionBody::from(session),
        "user": UserBody::from(user),
    })))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<List<SessionBody>>> {
    let id = path_uuid(&id, "user")?;
    let sessions = state.services.live_sessions(&caller.ctx, id).await?;
    Ok(Json(List::all(
        sessions.into_iter().map(SessionBody::from).collect(),
    )))
}

async fn revoke_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = path_uuid(&id, "user")?;
    let revoked = state
        .services
        .logout(&caller.ctx, id, &Default::default())
        .await?;
    Ok(Json(json!({ "sessions_revoked": revoked })))
}
