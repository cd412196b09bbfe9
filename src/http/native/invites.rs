//! Invites and the emails that carry them: accepting an invite (the token is the credential,
//! no API key), the page the emailed link opens, and delivery status.

use super::wire::{path_uuid, List, UserBody};
use crate::domain::fields::Password;
use crate::http::auth::{request_id, Caller};
use crate::http::json::{ApiJson, ApiQuery};
use crate::http::problem::{ApiResult, Problem};
use crate::http::tenancy::{tenant_of_base, Refusal};
use crate::http::AppState;
use crate::store::EmailRecord;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/invites/accept", post(accept))
        .route("/t/{tenant}/v1/invites/accept", post(accept))
        .route("/t/{tenant}/invite/{token}", get(page))
        .route("/v1/emails", get(emails))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    token: String,
    password: String,
}

#[derive(Serialize)]
struct AcceptAnswer {
    token: String,
    expires_at: DateTime<Utc>,
    user: UserBody,
}

/// `POST [/t/{tenant}]/v1/invites/accept` `{token, password}`.
async fn accept(
    State(state): State<AppState>,
    mut parts: Parts,
    ApiJson(body): ApiJson<AcceptBody>,
) -> ApiResult<(StatusCode, Json<AcceptAnswer>)> {
    let tenant = match tenant_of_base(&mut parts, &state).await {
        Ok(t) => t.map(|t| t.id),
        Err(Refusal::Service(e)) => return Err(e.into()),
        Err(_) => return Err(Problem::not_found("invite")),
    };
    let password = Password::parse("password", &body.password)?;
    let login = state
        .services
        .accept_invite(tenant, &body.token, &password, request_id(&parts))
        .await?;
    let ctx = crate::service::Context::new(
        login.user.tenant_id,
        crate::domain::event::Actor::User(login.user.id),
        None,
    );
    let user = state.services.user(&ctx, login.user.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(AcceptAnswer {
            token: login.token,
            expires_at: login.session.expires_at,
            user: user.into(),
        }),
    ))
}

/// The page an invite email links to: a password form that posts to the accept endpoint.
async fn page() -> Html<&'static str> {
    Html(include_str!("accept.html"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailsQuery {
    user: String,
}

#[derive(Serialize)]
struct EmailBody {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    recipient: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<EmailRecord> for EmailBody {
    fn from(e: EmailRecord) -> Self {
        Self {
            id: e.id,
            user_id: e.user_id,
            kind: e.kind,
            recipient: e.recipient,
            status: e.status,
            attempts: e.attempts,
            last_error: e.last_error,
            next_attempt_at: e.next_attempt_at,
            created_at: e.created_at,
            sent_at: e.sent_at,
        }
    }
}

/// `GET /v1/emails?user=<id>`: the delivery status of every email about a user.
async fn emails(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<EmailsQuery>,
) -> ApiResult<Json<List<EmailBody>>> {
    let user = path_uuid(&q.user, "user")?;
    let emails = state.services.emails_of(&caller.ctx, user).await?;
    Ok(Json(List::all(
        emails.into_iter().map(EmailBody::from).collect(),
    )))
}
