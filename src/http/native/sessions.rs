//! Sessions: logging in, introspecting a token, and a user's live sessions.

use super::wire::{path_uuid, List, SessionBody, SessionsRevoked, UserBody};
use crate::domain::FieldError;
use crate::http::auth::{bearer, Caller, SessionCaller};
use crate::http::json::ApiJson;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::AppState;
use crate::service::sessions::LoginName;
use crate::service::Error;
use axum::extract::Path;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(login))
        .routes(routes!(current, end_current))
        .routes(routes!(list, revoke_all))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LoginRequest, example = json!({
    "email": "ada@example.com",
    "password": "correct horse battery staple"
}))]
struct LoginBody {
    /// The user's email. Send it or `username`, not both.
    #[schema(required = false)]
    email: Option<String>,
    /// The user's username. Send it or `email`, not both.
    #[schema(required = false)]
    username: Option<String>,
    password: String,
}

impl LoginBody {
    fn name(&self) -> Result<LoginName<'_>, Problem> {
        match (&self.email, &self.username) {
            (Some(e), None) => Ok(LoginName::Email(e)),
            (None, Some(u)) => Ok(LoginName::Username(u)),
            _ => Err(Problem::invalid(vec![FieldError::new(
                "email",
                "send the user's email or their username (one of the two)",
            )])),
        }
    }
}

/// A new session: its token is shown only here.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Login, example = json!({
    "token": "rss_8Jq2vX0cLk4mWn7pR1tY5uZ3aB6dE9fGh2Kq5Ws8Zx1",
    "expires_at": "2026-12-23T00:00:00Z",
    "user": super::wire::user_example()
}))]
pub(super) struct LoginAnswer {
    /// The session token (`rss_...`): send it as `Authorization: Bearer` to
    /// `GET /v1/sessions/current`.
    token: String,
    expires_at: DateTime<Utc>,
    user: UserBody,
}

#[utoipa::path(
    post,
    path = "/v1/sessions",
    tag = tag::NATIVE,
    operation_id = "login",
    summary = "Log a user in",
    description = "Checks a user's email (or username) and password on behalf of the platform \
and opens a session. A wrong password, an unknown email or username, and a user who may not log \
in (not `active`, or without a password) all answer the same 401. If the user has a `sessions_limit`, their oldest \
sessions end to make room. Does not honour `Idempotency-Key`: the answer holds a secret.",
    request_body = LoginBody,
    responses(
        (status = 201, description = "Logged in", body = LoginAnswer),
        (status = 401, description = "No API key, an unknown or revoked one, or invalid email \
or password", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of `email` and `username` were sent, or a \
text holds a NUL character",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn login(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<(StatusCode, Json<LoginAnswer>)> {
    let login = state
        .services
        .login(&caller.ctx, body.name()?, &body.password)
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

/// A session and its user.
#[derive(Serialize, utoipa::ToSchema)]
struct CurrentSession {
    session: SessionBody,
    user: UserBody,
}

/// `GET /v1/sessions/current` with `Authorization: Bearer <session token>`.
#[utoipa::path(
    get,
    path = "/v1/sessions/current",
    tag = tag::NATIVE,
    operation_id = "currentSession",
    summary = "Introspect a session token",
    description = "The session a session token (not an API key) belongs to, and its user. \
Any tenant's platform can check its users' tokens this way.",
    responses(
        (status = 200, description = "The session and its user", body = CurrentSession),
        (status = 401, description = "No session token, or one that is unknown, expired or revoked",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
async fn current(State(state): State<AppState>, parts: Parts) -> ApiResult<Json<CurrentSession>> {
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
    Ok(Json(CurrentSession {
        session: session.into(),
        user: user.into(),
    }))
}

#[utoipa::path(
    get,
    path = "/v1/users/{id}/sessions",
    tag = tag::NATIVE,
    operation_id = "listUserSessions",
    summary = "A user's live sessions",
    description = "The user's sessions that are neither expired nor revoked. Not paged.",
    params(("id" = String, Path, description = "The user's id (a UUID)")),
    responses(
        (status = 200, description = "The live sessions (`next_cursor` is null)", body = List<SessionBody>),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
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

#[utoipa::path(
    delete,
    path = "/v1/users/{id}/sessions",
    tag = tag::NATIVE,
    operation_id = "revokeUserSessions",
    summary = "End a user's sessions",
    description = "Ends every live session of the user, as `POST /v1/users/{id}/logout` without a \
note. The status does not change.",
    params(("id" = String, Path, description = "The user's id (a UUID)")),
    responses(
        (status = 200, description = "The sessions ended", body = SessionsRevoked),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn revoke_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SessionsRevoked>> {
    let id = path_uuid(&id, "user")?;
    let revoked = state
        .services
        .logout(&caller.ctx, id, &Default::default())
        .await?;
    Ok(Json(SessionsRevoked {
        sessions_revoked: revoked,
    }))
}

#[utoipa::path(
    delete,
    path = "/v1/sessions/current",
    tag = tag::NATIVE,
    operation_id = "endCurrentSession",
    summary = "Log out (end this session)",
    description = "Ends the session of the token sent as `Authorization: Bearer`; the user's \
other sessions stay. Ending an impersonation session is audited as `impersonation_ended`.",
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "No session token, or one that is unknown, expired or revoked",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
async fn end_current(
    State(state): State<AppState>,
    caller: SessionCaller,
) -> ApiResult<StatusCode> {
    state
        .services
        .end_session(&caller.ctx, &caller.token)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
