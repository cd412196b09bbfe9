//! Password reset: asking for a link by email (the same answer for every address), the page
//! the emailed link opens, and setting the new password with the link's token. All under the
//! tenant's base URL, without credentials: the email address and the token are all there is.

use super::pages::PasswordPage;
use super::wire::SessionsRevoked;
use crate::http::auth::request_id;
use crate::http::json::ApiJson;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::tenancy::path_tenant;
use crate::http::AppState;
use crate::service::password_reset::ResetRequest;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(request))
        .routes(routes!(complete))
        .routes(routes!(page))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasswordResetRequest, example = json!({"email": "ada@example.com"}))]
struct RequestBody {
    email: String,
}

/// The one answer of a reset request.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PasswordResetRequested, example = json!({
    "message": "If this address belongs to an active user, an email with a reset link is on its way."
}))]
struct Requested {
    message: &'static str,
}

const REQUESTED: &str =
    "If this address belongs to an active user, an email with a reset link is on its way.";

#[utoipa::path(
    post,
    path = "/t/{tenant}/v1/password-resets",
    tag = tag::NATIVE,
    operation_id = "requestPasswordReset",
    summary = "Ask for a password reset link",
    description = "Answers 202 with the same body whether or not the address is an active \
user's of the tenant, so it reveals nothing. For an active user, an email with a one-time link \
(`/t/{tenant}/password-reset/{token}`, valid 30 minutes) is queued through the outbox, and any \
earlier link of theirs dies. Limited to 3 requests a minute per address and 30 per tenant, \
counted in the database (every roster process shares the count): beyond them, 429 with \
`Retry-After`, for known and unknown addresses alike. No credentials.",
    params(("tenant" = String, Path, description = "The tenant's slug, id or account number")),
    request_body = RequestBody,
    responses(
        (status = 202, description = "Taken: an email is on its way if the address is an active user's", body = Requested),
        (status = 404, description = "No such tenant", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`email` is not an email address", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests for this address or this tenant; retry after `Retry-After` seconds",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable; retry after `Retry-After` seconds",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
async fn request(
    State(state): State<AppState>,
    mut parts: Parts,
    ApiJson(body): ApiJson<RequestBody>,
) -> ApiResult<Response> {
    let tenant = path_tenant(&mut parts, &state).await?;
    match state
        .services
        .request_password_reset(tenant, &body.email, request_id(&parts))
        .await?
    {
        ResetRequest::Accepted => {
            Ok((StatusCode::ACCEPTED, Json(Requested { message: REQUESTED })).into_response())
        }
        ResetRequest::Limited { retry_after } => {
            let mut res = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                "too many password reset requests; retry later",
            )
            .into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            Ok(res)
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasswordResetCompletion, example = json!({
    "token": "rsr_Xk3vP9qL2mN8bR5tW1yZ7cF4hJ6dG0sAq2Wn5Rt8Yb1",
    "password": "a new and longer passphrase"
}))]
struct CompleteBody {
    /// The token of the reset link (`/t/{tenant}/password-reset/{token}`).
    token: String,
    /// The new password: 8 to 255 characters, not the email.
    #[schema(min_length = 8, max_length = 255)]
    password: String,
}

#[utoipa::path(
    post,
    path = "/t/{tenant}/v1/password-resets/complete",
    tag = tag::NATIVE,
    operation_id = "completePasswordReset",
    summary = "Set a new password with a reset link",
    description = "Sets the user's password with the token of a reset link, which then dies; \
every session of the user ends (the answer says how many). Audited as `password_reset`. \
No credentials: the token is one.",
    params(("tenant" = String, Path, description = "The tenant's slug, id or account number")),
    request_body = CompleteBody,
    responses(
        (status = 200, description = "The password is set; every session ended", body = SessionsRevoked),
        (status = 404, description = "No such tenant, or no reset link of it has this token",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 410, description = "The link was used, replaced by a newer one, or has expired",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The password breaks a rule", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable; retry after `Retry-After` seconds",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
async fn complete(
    State(state): State<AppState>,
    mut parts: Parts,
    ApiJson(body): ApiJson<CompleteBody>,
) -> ApiResult<Json<SessionsRevoked>> {
    let tenant = path_tenant(&mut parts, &state).await?;
    let revoked = state
        .services
        .reset_password(tenant, &body.token, &body.password, request_id(&parts))
        .await?;
    Ok(Json(SessionsRevoked {
        sessions_revoked: revoked,
    }))
}

/// The page a reset email links to: a password form that posts to the completion endpoint.
#[utoipa::path(
    get,
    path = "/t/{tenant}/password-reset/{token}",
    tag = tag::NATIVE,
    operation_id = "passwordResetPage",
    summary = "The password reset page",
    description = "The HTML page a reset email links to: a form for the new password, which \
posts to `POST /t/{tenant}/v1/password-resets/complete`. The page is the same for every token; \
whether the link is good is known only when the form is sent.",
    params(
        ("tenant" = String, Path, description = "The tenant's slug, id or account number"),
        ("token" = String, Path, description = "The reset link's token"),
    ),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html"),
    ),
)]
async fn page() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(|| {
        PasswordPage {
            title: "Choose a new password",
            label: "Your new password (at least 8 characters)",
            button: "Set the password",
            busy: "Saving...",
            endpoint: "/v1/password-resets/complete",
            done: "Your password was changed, and every session ended: sign in with the new password.",
            failed: "The password could not be changed.",
        }
        .render()
    }))
}
