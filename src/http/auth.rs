//! Who is calling: API keys (the tenant's credential), the operator token, session tokens.

use super::problem::Problem;
use super::AppState;
use crate::domain::event::{Actor, Channel};
use crate::domain::tenant::KeyOwner;
use crate::service::{secrets, Authority, Context};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

/// The value of `Authorization: Bearer <value>`.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_in(&parts.headers)
}

/// The value of `Authorization: Bearer <value>` in these headers.
pub fn bearer_in(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A header's value, trimmed; None when absent, empty or not text.
pub fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The request's id, set by the request-id layer before any handler runs.
pub fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A caller holding a live API key: the tenant is the key's.
pub struct Caller {
    pub ctx: Context,
    pub owner: KeyOwner,
}

impl Caller {
    /// A key's holder calling through `channel`: it may do what the key's scopes allow.
    pub fn new(owner: KeyOwner, parts: &Parts, channel: Channel) -> Self {
        Self {
            ctx: Context::new(
                owner.tenant_id,
                Actor::ApiKey(owner.key_id),
                Authority::Key(owner.scopes.clone()),
                channel,
                request_id(parts),
            )
            .named(owner.key_name.clone()),
            owner,
        }
    }
}

/// Looks up an API key; `Ok(None)` when it is unknown or revoked.
pub async fn key_owner(
    state: &AppState,
    secret: &str,
) -> Result<Option<KeyOwner>, crate::service::Error> {
    state.services.authenticate_key(secret).await
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let secret = bearer(parts).ok_or_else(|| {
            Problem::unauthorized("send the tenant's API key as Authorization: Bearer <key>")
        })?;
        let owner = key_owner(state, secret)
            .await?
            .ok_or_else(|| Problem::unauthorized("the API key is unknown or revoked"))?;
        Ok(Caller::new(owner, parts, Channel::Native))
    }
}

/// A signed-in user: `Authorization: Bearer <session token>` (not an API key). They act as
/// themselves, with what their roles grant.
pub struct SessionCaller {
    pub ctx: Context,
    pub session: crate::domain::session::Session,
    pub user: crate::service::UserView,
    pub token: String,
}

impl FromRequestParts<AppState> for SessionCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = bearer(parts)
            .ok_or_else(|| {
                Problem::unauthorized("send the session token as Authorization: Bearer <token>")
            })?
            .to_owned();
        let (ctx, session, user) = state
            .services
            .session_caller(&token, Channel::Native, request_id(parts))
            .await
            .map_err(|e| match e {
                crate::service::Error::BadCredentials => {
                    Problem::unauthorized("the session token is unknown, expired or revoked")
                }
                other => other.into(),
            })?;
        Ok(SessionCaller {
            ctx,
            session,
            user,
            token,
        })
    }
}

/// The operator, who manages tenants with `ROSTER_OPERATOR_TOKEN`.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let Some(expected) = &state.operator_token_hash else {
            return Err(Problem::unauthorized(
                "the operator API is disabled: start roster with ROSTER_OPERATOR_TOKEN set",
            ));
        };
        // Comparing hashes keeps the comparison's time independent of the secret.
        match bearer(parts) {
            Some(token) if secrets::hash(token) == **expected => Ok(Operator),
            _ => Err(Problem::unauthorized(
                "send the operator token as Authorization: Bearer <token>",
            )),
        }
    }
}
