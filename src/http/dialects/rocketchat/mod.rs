//! Rocket.Chat: login, logout, me, users.info and users.setActiveStatus, whose deactivation
//! hands over the rooms the user alone owns (the rule lives in `domain::room` and
//! `service::lifecycle`; this module only speaks Rocket.Chat's wire format).

mod error;

use crate::domain::event::{Actor, Note};
use crate::domain::session::Session;
use crate::domain::user::Role;
use crate::http::auth::{header, request_id};
use crate::http::json::{parse_json, parse_query, read_body};
use crate::http::tenancy::{base_tenant, names_tenant, tenant_of_base, Refusal};
use crate::http::AppState;
use crate::service::lifecycle::Deactivation;
use crate::service::{Context, Error, UserView};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use error::RcError;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/users.info", get(users_info))
        .route("/api/v1/users.setActiveStatus", post(set_active_status))
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
            return Err(RcError::NotLoggedIn);
        };
        let (user_id, token) = (user_id.to_owned(), token.to_owned());
        let (session, user) = state.services.session_by_token(&token).await?;
        if session.user_id.to_string() != user_id {
            return Err(RcError::NotLoggedIn);
        }
        // Under a tenant base URL, the session must be that tenant's.
        if let Some(base) = base_tenant(parts, state).await {
            let tenant = state
                .services
                .tenant(&session.tenant_id.to_string())
                .await?;
            if !names_tenant(tenant.id, &tenant.slug, tenant.number, &base) {
                return Err(RcError::NotLoggedIn);
            }
        }
        Ok(RcCaller {
            ctx: Context::new(
                session.tenant_id,
                Actor::User(session.user_id),
                request_id(parts),
            ),
            token,
            session,
            user,
        })
    }
}

/// A JSON object body whose errors answer as Rocket.Chat's `invalid-params`.
struct RcJson<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for RcJson<T> {
    type Rejection = RcError;

    async fn from_request(req: Request, _: &S) -> Result<Self, RcError> {
        let (parts, body) = read_body(req).await?;
        Ok(RcJson(parse_json(&parts.headers, &body, None)?))
    }
}

/// Rocket.Chat's view of a user.
fn user_json(view: &UserView) -> Value {
    let u = &view.user;
    let name = [u.first_name.as_deref(), u.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut roles = vec!["user"];
    roles.extend(u.roles.names());
    json!({
        "_id": u.id,
        "username": u.email.clone().unwrap_or_else(|| u.number.to_string()),
        "name": name,
        "emails": u.email.iter().map(|e| json!({"address": e, "verified": u.status != crate::domain::Status::Invited})).collect::<Vec<_>>(),
        "type": "user",
        "active": u.status == crate::domain::Status::Active,
        "roles": roles,
        "createdAt": u.created_at,
        "_updatedAt": u.updated_at,
    })
}

/// `POST /t/{tenant}/api/v1/login` with `{user | username | email, password}`.
async fn login(
    State(state): State<AppState>,
    mut parts: Parts,
    body: axum::body::Bytes,
) -> Result<Json<Value>, RcError> {
    let tenant = tenant_of_base(&mut parts, &state)
        .await
        .map_err(|r| match r {
            Refusal::Service(e) => RcError::from(e),
            _ => RcError::LoginFailed,
        })?;
    // The tenant comes from the base URL: at the root there is none to log in to.
    let tenant = tenant.ok_or(RcError::LoginFailed)?;
    let fields: Map<String, Value> = parse_json(&parts.headers, &body, None)?;
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    let login_name = text("user")
        .or_else(|| text("username"))
        .or_else(|| text("email"));
    let (Some(login_name), Some(password)) = (login_name, text("password")) else {
        return Err(RcError::LoginFailed);
    };
    let ctx = Context::new(tenant.id, Actor::System, request_id(&parts));
    let login = state
        .services
        .login(&ctx, login_name, password)
        .await
        .map_err(|e| match e {
            Error::BadCredentials => RcError::LoginFailed,
            other => other.into(),
        })?;
    let me = state.services.user(&ctx, login.user.id).await?;
    Ok(Json(json!({
        "status": "success",
        "data": { "userId": login.user.id, "authToken": login.token, "me": user_json(&me) },
    })))
}

async fn logout(State(state): State<AppState>, caller: RcCaller) -> Result<Json<Value>, RcError> {
    state
        .services
        .end_session(&caller.ctx, &caller.token)
        .await?;
    Ok(Json(
        json!({ "status": "success", "data": { "message": "You've been logged out!" } }),
    ))
}

async fn me(caller: RcCaller) -> Json<Value> {
    let mut me = user_json(&caller.user);
    me["success"] = json!(true);
    me["sessionExpiresAt"] = json!(caller.session.expires_at);
    Json(me)
}

#[derive(Deserialize)]
struct InfoQuery {
    #[serde(rename = "userId")]
    user_id: Option<String>,
}

async fn users_info(
    State(state): State<AppState>,
    caller: RcCaller,
    parts: Parts,
) -> Result<Json<Value>, RcError> {
    let q: InfoQuery = parse_query(parts.uri.query())?;
    let id = q
        .user_id
        .ok_or_else(|| RcError::invalid_params("must have required property 'userId'"))?;
    let id = Uuid::parse_str(&id).map_err(|_| RcError::invalid_user())?;
    let user = state.services.user(&caller.ctx, id).await?;
    Ok(Json(json!({ "user": user_json(&user), "success": true })))
}

/// The params of `users.setActiveStatus`, checked as Rocket.Chat's validator does.
fn active_status_params(body: &Map<String, Value>) -> Result<(bool, Uuid, bool), RcError> {
    let active = match body.get("activeStatus") {
        None => {
            return Err(RcError::invalid_params(
                "must have required property 'activeStatus'",
            ))
        }
        Some(v) => v
            .as_bool()
            .ok_or_else(|| RcError::invalid_params("'activeStatus' must be boolean"))?,
    };
    let user_id = match body.get("userId") {
        None => {
            return Err(RcError::invalid_params(
                "must have required property 'userId'",
            ))
        }
        Some(v) => v
            .as_str()
            .ok_or_else(|| RcError::invalid_params("'userId' must be string"))?,
    };
    let confirm = match body.get("confirmRelinquish") {
        None | Some(Value::Null) => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| RcError::invalid_params("'confirmRelinquish' must be boolean"))?,
    };
    if let Some(extra) = body
        .keys()
        .find(|k| !["activeStatus", "userId", "confirmRelinquish"].contains(&k.as_str()))
    {
        return Err(RcError::invalid_params(format!(
            "must NOT have additional properties ('{extra}')"
        )));
    }
    let user_id = Uuid::parse_str(user_id).map_err(|_| RcError::invalid_user())?;
    Ok((active, user_id, confirm))
}

async fn set_active_status(
    State(state): State<AppState>,
    caller: RcCaller,
    RcJson(body): RcJson<Map<String, Value>>,
) -> Result<Json<Value>, RcError> {
    // Rocket.Chat's `edit-other-user-active-status` permission is roster's admin role.
    if !caller.user.user.roles.contains(Role::Admin) {
        return Err(RcError::Forbidden);
    }
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
            dry_run: false,
        };
        services
            .deactivate(&caller.ctx, user_id, &Note::default(), options)
            .await?
            .user
    };
    Ok(Json(json!({
        "user": { "_id": user.user.id, "active": user.user.status == crate::domain::Status::Active },
        "success": true,
    })))
}

/// This dialect's part of the contract.
pub fn openapi() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApi::default()
}
