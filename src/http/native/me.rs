//! The signed-in user on themselves (`Authorization: Bearer <session token>`): their profile,
//! their password, and ending their own session.

use super::wire::{names_and_phone, UserBody};
use crate::domain::profile::OwnProfile;
use crate::domain::{FieldError, FieldErrors};
use crate::http::auth::SessionCaller;
use crate::http::json::{nullable, ApiJson};
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(me, edit_me))
        .routes(routes!(change_password))
}

#[utoipa::path(
    get,
    path = "/v1/me",
    tag = tag::NATIVE,
    operation_id = "me",
    summary = "The signed-in user",
    description = "The user of the session token sent as `Authorization: Bearer`.",
    responses(
        (status = 200, description = "The user", body = UserBody),
        (status = 401, description = "No session token, or one that is unknown, expired or revoked",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
async fn me(State(state): State<AppState>, caller: SessionCaller) -> ApiResult<Json<UserBody>> {
    Ok(Json(state.services.me(&caller.ctx).await?.into()))
}

/// What a user may change of their own profile (JSON merge patch: absent keeps, null clears).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OwnProfilePatch, example = json!({"first_name": "Ada", "phone_number": "+14155550142"}))]
struct EditMe {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, required = false, min_length = 1, max_length = 100)]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, required = false, min_length = 1, max_length = 100)]
    last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, required = false, example = "+14155550142")]
    phone_number: Option<Option<String>>,
}

impl EditMe {
    fn into_profile(self) -> Result<OwnProfile, Problem> {
        let mut errors = FieldErrors::new();
        let (first_name, last_name, phone_number) = names_and_phone(
            &self.first_name,
            &self.last_name,
            &self.phone_number,
            &mut errors,
        );
        errors.finish()?;
        Ok(OwnProfile {
            first_name,
            last_name,
            phone_number,
        })
    }
}

#[utoipa::path(
    patch,
    path = "/v1/me",
    tag = tag::NATIVE,
    operation_id = "editMe",
    summary = "Edit your own profile",
    description = "The signed-in user changes their own `first_name`, `last_name` and \
`phone_number` (a JSON merge patch: absent keeps, null clears). Nothing else can be changed here \
(any other member is refused with 400): email, username and roles stay with those who administer \
users. Audited as `profile_updated` with the user as the actor.",
    request_body = EditMe,
    responses(
        (status = 200, description = "The user, changed", body = UserBody),
        (status = 401, description = "No session token, or one that is unknown, expired or revoked",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule; `errors` names each",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
async fn edit_me(
    State(state): State<AppState>,
    caller: SessionCaller,
    ApiJson(body): ApiJson<EditMe>,
) -> ApiResult<Json<UserBody>> {
    let profile = body.into_profile()?;
    let view = state
        .services
        .edit_own_profile(&caller.ctx, profile)
        .await?;
    Ok(Json(view.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasswordChange, example = json!({
    "current_password": "my current password",
    "new_password": "a new and longer passphrase"
}))]
struct ChangePassword {
    current_password: String,
    /// 8 to 255 characters, not the current password, not the email.
    #[schema(min_length = 8, max_length = 255)]
    new_password: String,
}

/// A password change: every session ended, this one included.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PasswordChanged, example = json!({
    "sessions_revoked": 2,
    "signed_out": true,
    "message": "Your password was changed. Every session ended, this one included: sign in again with the new password."
}))]
struct PasswordChanged {
    /// The sessions ended (the caller's included).
    sessions_revoked: u64,
    /// Always true: the session token of this call no longer works.
    signed_out: bool,
    message: &'static str,
}

#[utoipa::path(
    post,
    path = "/v1/me/password",
    tag = tag::NATIVE,
    operation_id = "changeMyPassword",
    summary = "Change your own password",
    description = "Needs the current password. The new one must be 8 to 255 characters, differ \
from the current one and from the email. On success every session of the user ends, the one \
of this call included (the answer says so): sign in again with the new password. Audited as \
`password_changed`. An impersonation session cannot change the password (422 naming \
`password`).",
    request_body = ChangePassword,
    responses(
        (status = 200, description = "Changed; every session ended", body = PasswordChanged),
        (status = 401, description = "No session token, or one that is unknown, expired or revoked",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`current_password` is wrong, `new_password` breaks a rule, \
or the session is an impersonation", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
async fn change_password(
    State(state): State<AppState>,
    caller: SessionCaller,
    ApiJson(body): ApiJson<ChangePassword>,
) -> ApiResult<Json<PasswordChanged>> {
    if body.current_password.is_empty() {
        return Err(Problem::invalid(vec![FieldError::new(
            "current_password",
            "must not be empty",
        )]));
    }
    let revoked = state
        .services
        .change_own_password(&caller.ctx, &body.current_password, &body.new_password)
        .await?;
    Ok(Json(PasswordChanged {
        sessions_revoked: revoked,
        signed_out: true,
        message: "Your password was changed. Every session ended, this one included: sign in \
again with the new password.",
    }))
}
