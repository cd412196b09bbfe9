//! Rocket.Chat: the server info, login, logout, me, users.info and users.setActiveStatus,
//! whose deactivation hands over the rooms the user alone owns (the rule lives in
//! `domain::room` and `service::lifecycle`; this module only speaks Rocket.Chat's wire format).

mod error;
mod wire;

use crate::domain::event::{Actor, Channel, Note};
use crate::domain::external_token::split_name;
use crate::domain::fields::{PersonName, Phone};
use crate::domain::profile::{
    profile_page_first_name, profile_page_last_name, OwnProfile, PASSWORD_CHANGE_LOGS_OUT,
    PROFILE_UPDATED,
};
use crate::domain::session::Session;
use crate::domain::user::Change;
use crate::domain::FieldError;
use crate::http::auth::{header, request_id};
use crate::http::dialects::kit::{self, Body, Dialect, Member, Query};
use crate::http::openapi::{add_common_errors, tag, Common, When};
use crate::http::tenancy::{base_tenant, names_tenant, tenant_of_base, Refusal};
use crate::http::AppState;
use crate::service::lifecycle::Deactivation;
use crate::service::users::UserRef;
use crate::service::{Authority, Context, Error, UserView};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::{Json, Router};
use error::{ErrorBody, LoginFailedBody, NotLoggedInBody, RcError, RocketChat};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi as _, ToSchema as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wire::{
    rc_username, ActiveStatusAnswer, ActiveStatusUser, InfoAnswer, LoginAnswer, LoginBody,
    LoginData, LogoutAnswer, LogoutData, MeAnswer, RcMe, RcUser, ServerInfo, SetActiveStatusBody,
    UpdateOwnBasicInfoAnswer, UpdateOwnBasicInfoBody,
};

/// The envelope of a missing session, which only the common errors name.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(NotLoggedInBody)))]
struct Envelopes;

/// The routes, at Rocket.Chat's paths, with their part of the contract.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Envelopes::openapi())
        .routes(routes!(info))
        .routes(routes!(login))
        .routes(routes!(logout, logout_by_get))
        .routes(routes!(me))
        .routes(routes!(users_info))
        .routes(routes!(set_active_status))
        .routes(routes!(update_own_basic_info))
}

pub fn router() -> Router<AppState> {
    kit::serve::<RocketChat>(routes().split_for_parts().0)
}

/// A caller with a live session: `X-User-Id` and `X-Auth-Token`.
struct RcCaller {
    ctx: Context,
    token: String,
    session: Session,
    user: UserView,
}

impl FromRequestParts<AppState> for RcCaller {
    type Rejection = RcError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RcError> {
        let (Some(user_id), Some(token)) =
            (header(parts, "x-user-id"), header(parts, "x-auth-token"))
        else {
            return Err(RocketChat::unauthenticated());
        };
        let (user_id, token) = (user_id.to_owned(), token.to_owned());
        let (ctx, session, user) = state
            .services
            .session_caller(&token, Channel::RocketChat, request_id(parts))
            .await?;
        if session.user_id.to_string() != user_id {
            return Err(RocketChat::unauthenticated());
        }
        // Under a tenant base URL, the session must be that tenant's.
        if let Some(base) = base_tenant(parts, state).await {
            let tenant = state
                .services
                .tenant(&session.tenant_id.to_string())
                .await?;
            if !names_tenant(tenant.id, &tenant.slug, tenant.number, &base) {
                return Err(RocketChat::unknown_tenant());
            }
        }
        Ok(RcCaller {
            ctx,
            token,
            session,
            user,
        })
    }
}

/// The tenant a login is for, as its context: the base URL's. At the root no tenant is named,
/// and a login there fails as every other failed login does.
struct LoginTenant(Context);

impl FromRequestParts<AppState> for LoginTenant {
    type Rejection = RcError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RcError> {
        let tenant = tenant_of_base(parts, state).await.map_err(|r| match r {
            Refusal::Service(e) => RcError::from(e),
            Refusal::Unauthenticated | Refusal::UnknownTenant => RcError::login_failed(),
        })?;
        let tenant = tenant.ok_or_else(RcError::login_failed)?;
        Ok(LoginTenant(Context::new(
            tenant.id,
            Actor::System,
            Authority::Visitor,
            Channel::RocketChat,
            request_id(parts),
        )))
    }
}

/// The Rocket.Chat release whose REST API roster answers as: 7.x, before 8.0 changed the
/// 401 and 403 bodies roster sends. Shown as Rocket.Chat shows it to a caller without
/// `view-statistics`: major.minor.
const VERSION: &str = "7.6";

#[utoipa::path(
    get,
    path = "/api/info",
    tag = tag::ROCKETCHAT,
    operation_id = "rocketchatInfo",
    summary = "The server's version",
    description = "Which Rocket.Chat release roster's dialect answers as (7.6), for clients that \
check the server before they log in. Needs no credentials.",
    responses(
        (status = 200, description = "The version", body = ServerInfo),
    ),
)]
async fn info() -> Json<ServerInfo> {
    Json(ServerInfo {
        version: VERSION,
        success: true,
    })
}

/// `POST /t/{tenant}/api/v1/login` with `{user | username | email, password}`.
#[utoipa::path(
    post,
    path = "/api/v1/login",
    tag = tag::ROCKETCHAT,
    operation_id = "rocketchatLogin",
    summary = "Log in",
    description = "Checks the password of the user named by `user` (or, without it, `username`): \
their username or their email, an email match winning; or by `email` alone. It opens a session; \
send the answer's `userId` and `authToken` as `X-User-Id` and `X-Auth-Token` on every other call; \
`data.me` is the user as `me` shows them. The tenant is the base URL's, so log in through \
`/t/{tenant}/api/v1/login`: at the root no tenant is named and every login answers 401. A wrong \
password, an unknown user, a user who may not log in (not `active`), a missing field and an \
unknown tenant all answer the same 401.",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in", body = LoginAnswer),
        (status = 401, description = "The login failed, whatever the reason", body = LoginFailedBody),
    ),
)]
async fn login(
    State(state): State<AppState>,
    LoginTenant(ctx): LoginTenant,
    Body(body, _): Body<RocketChat, LoginBody>,
) -> Result<Json<LoginAnswer>, RcError> {
    let (Some(login_name), Some(password)) = (body.login_name(), body.password()) else {
        return Err(RcError::login_failed());
    };
    let login = state
        .services
        .login(&ctx, login_name, password)
        .await
        .map_err(|e| match e {
            Error::BadCredentials => RcError::login_failed(),
            other => other.into(),
        })?;
    let me = state
        .services
        .user(&ctx.signed_in(login.user.id), login.user.id)
        .await?;
    Ok(Json(LoginAnswer {
        status: "success",
        data: LoginData {
            user_id: login.user.id,
            auth_token: login.token,
            me: RcMe::from(&me),
        },
    }))
}

const LOGOUT: &str = "Ends the session of this `X-Auth-Token`; the user's other sessions \
stay. The token is then refused with 401. Rocket.Chat answers GET and POST alike.";

#[utoipa::path(
    post,
    path = "/api/v1/logout",
    tag = tag::ROCKETCHAT,
    operation_id = "rocketchatLogout",
    summary = "Log out",
    description = LOGOUT,
    responses(
        (status = 200, description = "Logged out", body = LogoutAnswer),
    ),
    security(("rocketchat_user_id" = [], "rocketchat_auth_token" = [])),
)]
async fn logout(
    State(state): State<AppState>,
    caller: RcCaller,
) -> Result<Json<LogoutAnswer>, RcError> {
    state
        .services
        .end_session(&caller.ctx, &caller.token)
        .await?;
    Ok(Json(LogoutAnswer {
        status: "success",
        data: LogoutData {
            message: "You've been logged out!",
        },
    }))
}

/// Rocket.Chat keeps GET for the clients that log out with it (`@rocket.chat/sdk`).
#[utoipa::path(
    get,
    path = "/api/v1/logout",
    tag = tag::ROCKETCHAT,
    operation_id = "rocketchatLogoutGet",
    summary = "Log out (GET)",
    description = LOGOUT,
    responses(
        (status = 200, description = "Logged out", body = LogoutAnswer),
    ),
    security(("rocketchat_user_id" = [], "rocketchat_auth_token" = [])),
)]
async fn logout_by_get(
    state: State<AppState>,
    caller: RcCaller,
) -> Result<Json<LogoutAnswer>, RcError> {
    logout(state, caller).await
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = tag::ROCKETCHAT,
    operation_id = "rocketchatMe",
    summary = "The logged-in user",
    description = "The user of this session as Rocket.Chat's `me` shows them (with `email`, \
`statusConnection` and `settings`), with `success` and when the session ends.",
    responses(
        (status = 200, description = "The caller", body = MeAnswer),
    ),
    security(("rocketchat_user_id" = [], "rocketchat_auth_token" = [])),
)]
async fn me(caller: RcCaller) -> Json<MeAnswer> {
    Json(MeAnswer {
        me: RcMe::from(&caller.user),
        success: true,
        session_expires_at: caller.session.expires_at,
    })
}

/// Which user: the first of these sent is read, in this order; other parameters are ignored.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct InfoQuery {
    /// The user's id (a user's `_id`)
    #[serde(rename = "userId")]
    #[param(value_type = Option<Uuid>, example = "0193a1f2-7c4e-7d31-9b2a-5f0e8c6d4a10")]
    user_id: Option<String>,
    /// The user's `username`
    #[param(example = "jane.doe")]
    username: Option<String>,
    /// The user's email
    #[param(example = "jane.doe@example.com")]
    email: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/users.info",
    tag = tag::ROCKETCHAT,
    operation_id = "rocketchatUsersInfo",
    summary = "A user",
    description = "A user of the caller's tenant, named by `userId`, `username` or `email` (the \
first of them sent is read, in that order; other query parameters are ignored). `username` finds \
what a user's `username` shows: their username, else their email, else their number; compared \
case-insensitively, as `email` is.",
    params(InfoQuery),
    responses(
        (status = 200, description = "The user", body = InfoAnswer),
        (status = 400, description = "None of `userId`, `username` and `email` was sent \
(`invalid-params`), or the one read names no user of the tenant (`error-invalid-user`)",
            body = ErrorBody, example = json!({
            "success": false,
            "error": "The required \"userId\" param provided does not match any users [error-invalid-user]",
            "errorType": "error-invalid-user"
        })),
    ),
    security(("rocketchat_user_id" = [], "rocketchat_auth_token" = [])),
)]
async fn users_info(
    State(state): State<AppState>,
    caller: RcCaller,
    Query(q, _): Query<RocketChat, InfoQuery>,
) -> Result<Json<InfoAnswer>, RcError> {
    let given = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let user = if let Some(id) = given(q.user_id) {
        let id = Uuid::parse_str(id.trim()).map_err(|_| RcError::invalid_user())?;
        state.services.user(&caller.ctx, id).await?
    } else if let Some(name) = given(q.username) {
        user_by_rc_username(&state, &caller.ctx, &name).await?
    } else if let Some(email) = given(q.email) {
        state.services.user_by_email(&caller.ctx, &email).await?
    } else {
        return Err(RcError::invalid_params(
            "must have required property 'userId', 'username' or 'email'",
        ));
    };
    Ok(Json(InfoAnswer {
        user: RcUser::from(&user),
        success: true,
    }))
}

/// The user whose `username` on this wire is `name` (see [`rc_username`]): by username, else
/// by email, else by number.
async fn user_by_rc_username(
    state: &AppState,
    ctx: &Context,
    name: &str,
) -> Result<UserView, RcError> {
    let mut refs = vec![UserRef::Username(name), UserRef::Email(name)];
    if let Ok(n) = name.trim().parse::<i64>() {
        refs.push(UserRef::Number(n));
    }
    let wanted = name.trim().to_lowercase();
    for r in refs {
        match state.services.find_user(ctx, r).await {
            // A user found by email or number whose `username` shows something else is not it.
            Ok(found) if rc_username(&found.user.user).to_lowercase() == wanted => {
                return Ok(found.user)
            }
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(RcError::invalid_user())
}

/// A boolean param, as Rocket.Chat's validator coerces one: a JSON boolean or the string
/// `"true"` or `"false"`. Its other coercions (0, 1, null) are refused: on a call that
/// deactivates, a stray 0 or null must not read as `false`.
fn flag(member: &Member, name: &str) -> Result<Option<bool>, RcError> {
    match &member.0 {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(_) => Err(RcError::invalid_params(format!("'{name}' must be boolean"))),
    }
}

/// The params of `users.setActiveStatus`, checked as Rocket.Chat's validator does: whether
/// to activate, whom, and whether the rooms' handover is confirmed.
fn active_status_params(body: &SetActiveStatusBody) -> Result<(bool, Uuid, bool), RcError> {
    let active = flag(&body.active_status, "activeStatus")?
        .ok_or_else(|| RcError::invalid_params("must have required property 'activeStatus'"))?;
    let user_id = match &body.user_id.0 {
        None => {
            return Err(RcError::invalid_params(
                "must have required property 'userId'",
            ))
        }
        Some(v) => v
            .as_str()
            .ok_or_else(|| RcError::invalid_params("'userId' must be string"))?,
    };
    // Rocket.Chat's schema makes this one nullable: null is "not confirmed".
    let confirm = match &body.confirm_relinquish.0 {
        Some(Value::Null) => false,
        _ => flag(&body.confirm_relinquish, "confirmRelinquish")?.unwrap_or(false),
    };
    if let Some(extra) = body.unknown.keys().next() {
        return Err(RcError::invalid_params(format!(
            "must NOT have additional properties ('{extra}')"
        )));
    }
    let user_id = Uuid::parse_str(user_id).map_err(|_| RcError::invalid_user())?;
    Ok((active, user_id, confirm))
}

#[utoipa::path(
    post,
    path = "/api/v1/users.setActiveStatus",
    tag = tag::ROCKETCHAT,
    operation_id = "rocketchatSetActiveStatus",
    summary = "Activate or deactivate a user",
    description = "Needs, as in Rocket.Chat, `edit-other-user-active-status` or \
`manage-moderation-actions` (either one; held through the caller's roles: `admin`, `moderator`, \
or a custom role), 403 otherwise. As in Rocket.Chat, the params are checked first, so a bad body is a \
400 whoever sends it. `activeStatus` and `confirmRelinquish` take a boolean or the string \
`\"true\"` or `\"false\"`. `activeStatus: true` makes the user active: an invited user joins, \
a deactivated one is reactivated (which gives back no room ownership, no removed room and no session); a \
banned or revoked user is refused. `activeStatus: false` deactivates the user and ends all their \
sessions, under two rules checked in this order:\n\n\
1. The tenant keeps an active admin: deactivating the last one is refused \
(`error-action-not-allowed`).\n\
2. No room is left without an owner. In every room, other than direct messages, that the user \
alone owns, ownership passes to the member with the oldest membership who is active; a room with \
no such member is removed. Without `confirmRelinquish: true`, any such room refuses the whole call \
with `user-last-owner`, whose `details` name the rooms (`shouldChangeOwner`, `shouldBeRemoved`), \
and nothing changes; with it, the rooms are handed over and removed, and the user deactivated, \
together.\n\n\
Deactivating a deactivated user, or activating an active one, changes nothing and answers 200.",
    request_body = SetActiveStatusBody,
    responses(
        (status = 200, description = "Done: the user's id and whether they are now active", body = ActiveStatusAnswer),
        (status = 400, description = "Refused; `errorType` says why and nothing changed", body = ErrorBody, examples(
            ("user-last-owner" = (summary = "The user alone owns rooms and confirmRelinquish was not true", value = json!({
                "success": false,
                "error": "[user-last-owner]",
                "errorType": "user-last-owner",
                "details": {"shouldChangeOwner": ["general", "design"], "shouldBeRemoved": ["jane-notes"]}
            }))),
            ("last-admin" = (summary = "The tenant's last active admin", value = json!({
                "success": false,
                "error": "Leaving the app without an active admin is not allowed [error-action-not-allowed]",
                "errorType": "error-action-not-allowed"
            }))),
            ("status-refused" = (summary = "A status the change cannot leave", value = json!({
                "success": false,
                "error": "cannot reactivate a user who is banned [error-action-not-allowed]",
                "errorType": "error-action-not-allowed"
            }))),
            ("invalid-params" = (summary = "A missing or mistyped parameter", value = json!({
                "success": false,
                "error": "must have required property 'activeStatus'\n[invalid-params]",
                "errorType": "invalid-params"
            }))),
            ("error-invalid-user" = (summary = "No such user in the tenant", value = json!({
                "success": false,
                "error": "The required \"userId\" param provided does not match any users [error-invalid-user]",
                "errorType": "error-invalid-user"
            }))),
        )),
        (status = 403, description = "The caller holds neither `edit-other-user-active-status` nor \
`manage-moderation-actions` (Rocket.Chat's hasAny rule)", body = ErrorBody, example = json!({
            "success": false,
            "error": "User does not have the permissions required for this action [error-unauthorized]"
        })),
    ),
    security(("rocketchat_user_id" = [], "rocketchat_auth_token" = [])),
)]
async fn set_active_status(
    State(state): State<AppState>,
    caller: RcCaller,
    Body(body, _): Body<RocketChat, SetActiveStatusBody>,
) -> Result<Json<ActiveStatusAnswer>, RcError> {
    // Rocket.Chat validates the params before it checks the permission, which the service
    // checks (domain::permission::needed_for) before it reads the user.
    let (active, user_id, confirm) = active_status_params(&body)?;
    let services = &state.services;
    let user = if active {
        services
            .make_active(&caller.ctx, user_id, &Note::default())
            .await?
            .user
    } else {
        let options = Deactivation {
            relinquish: confirm,
            ..Deactivation::default()
        };
        services
            .deactivate(&caller.ctx, user_id, &Note::default(), options)
            .await?
            .user
    };
    Ok(Json(ActiveStatusAnswer {
        user: ActiveStatusUser {
            id: user.user.id,
            active: user.user.status == crate::domain::Status::Active,
        },
        success: true,
    }))
}

/// The changes `users.updateOwnBasicInfo` asks for, read from `data` as the profile page
/// judges them.
struct OwnBasicInfo {
    profile: OwnProfile,
    /// (current, new)
    password: Option<(String, String)>,
}

fn own_basic_info(body: &UpdateOwnBasicInfoBody, ctx: &Context) -> Result<OwnBasicInfo, RcError> {
    if let Some(extra) = body.unknown.keys().next() {
        return Err(RcError::invalid_params(format!(
            "must NOT have additional properties ('{extra}')"
        )));
    }
    let data = match &body.data.0 {
        None => {
            return Err(RcError::invalid_params(
                "must have required property 'data'",
            ))
        }
        Some(Value::Object(data)) => data,
        Some(_) => return Err(RcError::invalid_params("'data' must be object")),
    };
    let text = |name: &str| -> Result<Option<String>, RcError> {
        match data.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(RcError::invalid_params(format!("'{name}' must be string"))),
        }
    };
    let realname = text("realname")?;
    let first = text("firstName")?;
    let last = text("lastName")?;
    let phone = text("phone")?;
    let current = text("currentPassword")?;
    let new = text("newPassword")?;
    if text("email")?.is_some() {
        let why = match ctx.impersonator() {
            Some(_) => "an impersonation session cannot change the email",
            None => "the email cannot be changed here; ask an administrator",
        };
        return Err(RcError::not_allowed(why));
    }
    if let Some(other) = data.keys().find(|k| {
        !matches!(
            k.as_str(),
            "realname"
                | "firstName"
                | "lastName"
                | "phone"
                | "currentPassword"
                | "newPassword"
                | "email"
        )
    }) {
        return Err(RcError::invalid_params(format!(
            "'{other}' cannot be changed through roster"
        )));
    }
    let (first, last) = match (realname, first, last) {
        (Some(full), None, None) => {
            let (f, l) = split_name(&full);
            (Some(f), Some(l.unwrap_or_default()))
        }
        (None, f, l) => (f, l),
        _ => {
            return Err(RcError::invalid_params(
                "send 'realname' or 'firstName' and 'lastName', not both",
            ))
        }
    };
    let rule =
        |r: Result<PersonName, FieldError>| r.map_err(|e| RcError::invalid_params(e.message));
    let mut profile = OwnProfile::default();
    if let Some(f) = first {
        profile.first_name = Change::Set(rule(profile_page_first_name("firstName", &f))?);
    }
    if let Some(l) = last {
        profile.last_name = Change::Set(rule(profile_page_last_name("lastName", &l))?);
    }
    match phone.as_deref().map(str::trim) {
        None => {}
        Some("") => profile.phone_number = Change::Clear,
        Some(p) => {
            profile.phone_number = Change::Set(
                Phone::parse("phone", p)
                    .map_err(|e| RcError::invalid_params(format!("'phone' {}", e.message)))?,
            )
        }
    }
    let password = match (current, new) {
        (None, None) => None,
        (Some(c), Some(n)) => Some((c, n)),
        (None, Some(_)) => {
            return Err(RcError::invalid_params(
                "must have required property 'currentPassword'",
            ))
        }
        (Some(_), None) => {
            return Err(RcError::invalid_params(
                "must have required property 'newPassword'",
            ))
        }
    };
    Ok(OwnBasicInfo { profile, password })
}

#[utoipa::path(
    post,
    path = "/api/v1/users.updateOwnBasicInfo",
    tag = tag::ROCKETCHAT,
    operation_id = "rocketchatUpdateOwnBasicInfo",
    summary = "Edit your own profile",
    description = "The signed-in user changes their own name (`realname`, or roster's \
`firstName` and `lastName`), phone (roster's `phone`) and password, under the rules of \
Rocket.Chat's profile page: `First name must have at least 2 characters. Numbers and special \
characters are not allowed.`, `Last name must have at least 1 characters.` A new password needs \
`currentPassword` (in clear: roster keeps no SHA-256 of passwords), must be 8 to 255 characters, \
and differ from the current one and from the email; then every session of the user ends, this \
one included (`Changing your password will log you out immediately. Use the new password to log \
back in.`). The email cannot be changed here; an impersonation session can change neither it \
nor the password. Audited as done by the user (`profile_updated`, `password_changed`).",
    request_body = UpdateOwnBasicInfoBody,
    responses(
        (status = 200, description = "Saved", body = UpdateOwnBasicInfoAnswer),
        (status = 400, description = "A rule of the profile page is broken, the current \
password is wrong, or a field cannot be changed here", body = ErrorBody, example = json!({
            "success": false,
            "error": "First name must have at least 2 characters. Numbers and special characters are not allowed. [invalid-params]",
            "errorType": "invalid-params"
        })),
    ),
    security(("rocketchat_user_id" = [], "rocketchat_auth_token" = [])),
)]
async fn update_own_basic_info(
    State(state): State<AppState>,
    caller: RcCaller,
    Body(body, _): Body<RocketChat, UpdateOwnBasicInfoBody>,
) -> Result<Json<UpdateOwnBasicInfoAnswer>, RcError> {
    let info = own_basic_info(&body, &caller.ctx)?;
    let services = &state.services;
    // The password first: a wrong current password changes nothing.
    let revoked = match &info.password {
        Some((current, new)) => Some(
            services
                .change_own_password(&caller.ctx, current, new)
                .await?,
        ),
        None => None,
    };
    let user = services.edit_own_profile(&caller.ctx, info.profile).await?;
    Ok(Json(UpdateOwnBasicInfoAnswer {
        user: RcMe::from(&user),
        message: match revoked {
            Some(_) => PASSWORD_CHANGE_LOGS_OUT,
            None => PROFILE_UPDATED,
        },
        sessions_revoked: revoked,
        success: true,
    }))
}

/// This dialect's part of the contract.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = routes().into_openapi();
    // A missing or dead session has its own body; every other error has `success: false`.
    add_common_errors(
        &mut doc,
        &NotLoggedInBody::name(),
        "application/json",
        &[Common {
            status: "401",
            description: "No live session for this `X-User-Id` and `X-Auth-Token` (or, under a \
tenant base URL, another tenant's)",
            when: When::Authenticated,
        }],
    );
    add_common_errors(
        &mut doc,
        &ErrorBody::name(),
        "application/json",
        &[
            Common {
                status: "400",
                description: "`invalid-params`: the body is not a JSON object (or is larger than \
64 KiB, or not `application/json`)",
                when: When::Body,
            },
            Common::UNAVAILABLE,
        ],
    );
    kit::refuses_unknown_members(
        &mut doc,
        &[SetActiveStatusBody::name(), UpdateOwnBasicInfoBody::name()],
    );
    doc
}
