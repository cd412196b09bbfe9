//! Invites and the emails that carry them: accepting an invite (the token is the credential,
//! no API key), the page the emailed link opens, and delivery status.

use super::pages::PasswordPage;
use super::wire::{path_uuid, List, UserBody};
use crate::domain::fields::Password;
use crate::domain::outbox::EmailDelivery;
use crate::http::auth::{request_id, Caller};
use crate::http::json::{ApiJson, ApiQuery};
use crate::http::openapi::tag;
use crate::http::problem::{problem_responses, ApiResult, Problem, ProblemBody, Responses};
use crate::http::tenancy::{tenant_of_base, Refusal};
use crate::http::AppState;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Html;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(accept))
        .routes(routes!(accept_in_tenant))
        .routes(routes!(page))
        .routes(routes!(emails))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AcceptInviteRequest, example = json!({
    "token": "rsi_Xk3vP9qL2mN8bR5tW1yZ7cF4hJ6dG0sAq2Wn5Rt8Yb1",
    "password": "correct horse battery staple"
}))]
struct AcceptBody {
    /// The token of the invite link (`/t/{tenant}/invite/{token}`).
    token: String,
    /// The password the user chooses.
    #[schema(min_length = 8, max_length = 255)]
    password: String,
}

/// The user, now active, and their first session: its token is shown only here.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AcceptedInvite, example = json!({
    "token": "rss_8Jq2vX0cLk4mWn7pR1tY5uZ3aB6dE9fGh2Kq5Ws8Zx1",
    "expires_at": "2026-12-23T00:00:00Z",
    "user": super::wire::user_example()
}))]
struct AcceptAnswer {
    token: String,
    expires_at: DateTime<Utc>,
    user: UserBody,
}

/// `POST /t/{tenant}/v1/invites/accept`: `accept`, for the invites of the tenant in the path.
#[utoipa::path(
    post,
    path = "/t/{tenant}/v1/invites/accept",
    tag = tag::NATIVE,
    operation_id = "acceptInviteInTenant",
    summary = "Accept an invite (tenant base URL)",
    description = "As `POST /v1/invites/accept`, under the tenant's base URL: the invite must be \
the tenant's. An unknown tenant answers 404.",
    request_body = AcceptBody,
    params(("tenant" = String, Path, description = "The tenant's slug, id or account number")),
    responses(
        (status = 201, description = "Accepted: the user is active and logged in", body = AcceptAnswer),
        (status = 404, description = "No such tenant, or no invite of it has this token",
            body = ProblemBody, content_type = "application/problem+json"),
        AcceptRefusals,
    ),
)]
async fn accept_in_tenant(
    state: State<AppState>,
    parts: Parts,
    body: ApiJson<AcceptBody>,
) -> ApiResult<(StatusCode, Json<AcceptAnswer>)> {
    accept(state, parts, body).await
}

/// How an invite's acceptance is refused, whichever URL it came to.
enum AcceptRefusals {}

impl utoipa::IntoResponses for AcceptRefusals {
    fn responses() -> Responses {
        problem_responses(&[
            (
                "410",
                "The invite was used, replaced, revoked or has expired",
            ),
            ("422", "The password breaks a rule"),
            (
                "503",
                "The database is unreachable; retry after `Retry-After` seconds",
            ),
        ])
    }
}

/// `POST [/t/{tenant}]/v1/invites/accept` `{token, password}`.
#[utoipa::path(
    post,
    path = "/v1/invites/accept",
    tag = tag::NATIVE,
    operation_id = "acceptInvite",
    summary = "Accept an invite",
    description = "Sets the invited user's password, makes them `active` and opens their first \
session. The token is the credential: no API key. Each token works once.",
    request_body = AcceptBody,
    responses(
        (status = 201, description = "Accepted: the user is active and logged in", body = AcceptAnswer),
        (status = 404, description = "No invite has this token", body = ProblemBody,
            content_type = "application/problem+json"),
        AcceptRefusals,
    ),
)]
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
        crate::service::Authority::Visitor,
        crate::domain::event::Channel::Native,
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
#[utoipa::path(
    get,
    path = "/t/{tenant}/invite/{token}",
    tag = tag::NATIVE,
    operation_id = "invitePage",
    summary = "The invite page",
    description = "The HTML page an invite email links to: a form where the user chooses a \
password, which posts to `POST /t/{tenant}/v1/invites/accept`. The page is the same for every \
token; whether the invite is good is known only when the form is sent.",
    params(
        ("tenant" = String, Path, description = "The tenant's slug, id or account number"),
        ("token" = String, Path, description = "The invite's token"),
    ),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html"),
    ),
)]
async fn page() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(|| {
        PasswordPage {
            title: "Accept your invite",
            label: "Choose a password (at least 8 characters)",
            button: "Accept invite",
            busy: "Accepting...",
            endpoint: "/v1/invites/accept",
            done: "Welcome! Your account is active; you can now sign in.",
            failed: "The invite could not be accepted.",
        }
        .render()
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EmailsQuery {
    /// The user's id (a UUID). Required.
    user: String,
}

/// An email roster sends (an invite), and how its delivery goes.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Email, example = json!({
    "id": "0190f5c1-8d2e-7f30-a142-b3c4d5e6f708",
    "user_id": "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
    "kind": "invite",
    "recipient": "ada@example.com",
    "status": "sent",
    "attempts": 1,
    "last_error": null,
    "next_attempt_at": "2026-11-20T14:03:01Z",
    "created_at": "2026-11-20T14:03:01Z",
    "sent_at": "2026-11-20T14:03:04Z"
}))]
struct EmailBody {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    recipient: String,
    /// `queued`, `sending`, `sent` or `failed` (given up after the last attempt).
    status: String,
    attempts: i64,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<EmailDelivery> for EmailBody {
    fn from(e: EmailDelivery) -> Self {
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
#[utoipa::path(
    get,
    path = "/v1/emails",
    tag = tag::NATIVE,
    operation_id = "listEmails",
    summary = "A user's emails",
    description = "Every email roster queued about the user, and its delivery status. Not paged: \
`next_cursor` is null.",
    params(EmailsQuery),
    responses(
        (status = 200, description = "The emails", body = List<EmailBody>),
        (status = 400, description = "`user` is missing, or an unknown parameter was sent",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
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
