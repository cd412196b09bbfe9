//! Rocket.Chat's error bodies, as its REST API answers them (see WIRE-NOTES).

use super::wire::{always_false, error_word};
use crate::http::json::BodyError;
use crate::http::problem::InternalError;
use crate::http::tenancy::Refusal;
use crate::service::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug)]
pub enum RcError {
    /// 401: no live session for the headers sent.
    NotLoggedIn,
    /// 401: a failed login, the same whatever the reason.
    LoginFailed,
    /// 403: the caller lacks the permission.
    Forbidden,
    /// 400 with Rocket.Chat's `error` text, `errorType` and optional `details`.
    Refused {
        error: String,
        error_type: &'static str,
        details: Option<Value>,
    },
    Unavailable,
    Internal(Arc<anyhow::Error>),
    /// 404 or 405: no endpoint at this path, or none for this method.
    Unrouted {
        status: StatusCode,
        error: &'static str,
    },
}

impl RcError {
    /// 400 `invalid-params`, in the words of Rocket.Chat's validator.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        let message = message.into();
        RcError::Refused {
            error: format!("{message}\n[invalid-params]"),
            error_type: "invalid-params",
            details: None,
        }
    }

    pub fn invalid_user() -> Self {
        RcError::Refused {
            error: "The required \"userId\" param provided does not match any users [error-invalid-user]".into(),
            error_type: "error-invalid-user",
            details: None,
        }
    }

    pub fn not_allowed(message: impl Into<String>) -> Self {
        RcError::Refused {
            error: format!("{} [error-action-not-allowed]", message.into()),
            error_type: "error-action-not-allowed",
            details: None,
        }
    }
}

impl From<Error> for RcError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(fields) => RcError::invalid_params(
                fields
                    .iter()
                    .map(|f| format!("'{}' {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Error::NotFound(_) => RcError::invalid_user(),
            Error::LastAdmin => {
                RcError::not_allowed("Leaving the app without an active admin is not allowed")
            }
            Error::LastOwner {
                should_change_owner,
                should_be_removed,
            } => RcError::Refused {
                error: "[user-last-owner]".into(),
                error_type: "user-last-owner",
                details: Some(json!({
                    "shouldChangeOwner": should_change_owner,
                    "shouldBeRemoved": should_be_removed,
                })),
            },
            Error::Transition {
                current,
                transition,
            } => RcError::not_allowed(format!("cannot {transition} a user who is {current}")),
            Error::Taken(_)
            | Error::Exists(_)
            | Error::VersionMismatch { .. }
            | Error::Conflict => RcError::not_allowed("the user changed meanwhile; retry"),
            Error::Gone(reason) => RcError::not_allowed(reason),
            Error::BadCredentials => RcError::NotLoggedIn,
            Error::Unavailable => RcError::Unavailable,
            Error::Internal(e) => RcError::Internal(Arc::new(e)),
        }
    }
}

impl From<Refusal> for RcError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unauthenticated | Refusal::UnknownTenant => RcError::NotLoggedIn,
            Refusal::Service(e) => e.into(),
        }
    }
}

impl From<BodyError> for RcError {
    fn from(e: BodyError) -> Self {
        RcError::invalid_params(match e.field {
            Some(f) => format!("'{f}' {}", e.message),
            None => e.message,
        })
    }
}

impl IntoResponse for RcError {
    fn into_response(self) -> Response {
        const NOT_LOGGED_IN: &str = "You must be logged in to do this.";
        let (status, body) = match &self {
            RcError::NotLoggedIn => (
                StatusCode::UNAUTHORIZED,
                json!({"success": false, "status": "error", "error": NOT_LOGGED_IN, "message": NOT_LOGGED_IN}),
            ),
            RcError::LoginFailed => (
                StatusCode::UNAUTHORIZED,
                json!({"status": "error", "error": "Unauthorized", "message": "Unauthorized"}),
            ),
            RcError::Forbidden => (
                StatusCode::FORBIDDEN,
                json!({"success": false, "error": "User does not have the permissions required for this action [error-unauthorized]"}),
            ),
            RcError::Refused {
                error,
                error_type,
                details,
            } => {
                let mut body = json!({"success": false, "error": error, "errorType": error_type});
                if let Some(d) = details {
                    body["details"] = d.clone();
                }
                (StatusCode::BAD_REQUEST, body)
            }
            RcError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"success": false, "error": "The service is unavailable; retry shortly"}),
            ),
            RcError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"success": false, "error": "Internal server error"}),
            ),
            RcError::Unrouted { status, error } => {
                (*status, json!({"success": false, "error": error}))
            }
        };
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let RcError::Internal(e) = self {
            res.extensions_mut().insert(InternalError(e));
        }
        res
    }
}

// The bodies for the contract. `into_response` builds them with `json!`, so these types only
// document them.

/// A refused call (400), a missing permission (403), the database down (503).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatError, example = json!({
    "success": false,
    "error": "must have required property 'activeStatus'\n[invalid-params]",
    "errorType": "invalid-params"
}))]
#[allow(dead_code)]
pub struct ErrorBody {
    #[schema(schema_with = always_false)]
    success: bool,
    /// What went wrong, ending with the `errorType` in brackets when there is one.
    error: String,
    /// On a 400 only.
    #[serde(rename = "errorType")]
    #[schema(required = false)]
    error_type: ErrorType,
    /// With `user-last-owner` only.
    #[schema(required = false)]
    details: LastOwnerDetails,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatErrorType)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum ErrorType {
    /// The body or query string breaks Rocket.Chat's validator.
    InvalidParams,
    /// `userId` names no user of the caller's tenant.
    ErrorInvalidUser,
    /// The change is refused: the last active admin, or a status it cannot leave.
    ErrorActionNotAllowed,
    /// The user alone owns rooms and `confirmRelinquish` was not `true`.
    UserLastOwner,
}

/// The rooms a deactivation would hand over or remove, by name.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatLastOwnerDetails)]
#[allow(dead_code)]
struct LastOwnerDetails {
    /// Rooms the user alone owns that pass to their oldest active member.
    #[serde(rename = "shouldChangeOwner")]
    should_change_owner: Vec<String>,
    /// Rooms with no other active member, which are removed.
    #[serde(rename = "shouldBeRemoved")]
    should_be_removed: Vec<String>,
}

/// A call without a live session for its `X-User-Id` and `X-Auth-Token` (401).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatUnauthorized, example = json!({
    "success": false,
    "status": "error",
    "error": "You must be logged in to do this.",
    "message": "You must be logged in to do this."
}))]
#[allow(dead_code)]
pub struct NotLoggedInBody {
    #[schema(schema_with = always_false)]
    success: bool,
    #[schema(schema_with = error_word)]
    status: String,
    error: String,
    message: String,
}

/// A failed login (401), the same whatever the reason.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatLoginFailed, example = json!({
    "status": "error",
    "error": "Unauthorized",
    "message": "Unauthorized"
}))]
#[allow(dead_code)]
pub struct LoginFailedBody {
    #[schema(schema_with = error_word)]
    status: String,
    error: String,
    message: String,
}
