//! Rocket.Chat's error bodies, as its REST API answers them (see WIRE-NOTES). Every body's
//! members are in the order roster has always sent them: it built them as sorted JSON maps.

use super::wire::{always_false, error_word};
use crate::domain::event::Channel;
use crate::http::dialects::kit::{Dialect, Failure};
use crate::http::json::BodyError;
use crate::service::Error;
use axum::http::{Method, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

/// The Rocket.Chat dialect.
#[derive(Debug)]
pub struct RocketChat;

pub type RcError = Failure<RocketChat>;

/// The kinds of error Rocket.Chat tells apart.
#[derive(Debug, Clone, Copy)]
pub enum Code {
    /// 401: no live session for the headers sent.
    NotLoggedIn,
    /// 401: a failed login, the same whatever the reason.
    LoginFailed,
    /// 403: the caller lacks the permission.
    Forbidden,
    /// 400: a refused call; the body's `errorType` says why.
    Refused(ErrorType),
    /// 404: no endpoint at this path.
    NotFound,
    /// 405: none for this method.
    MethodNotAllowed,
    Unavailable,
    Internal,
}

/// Why a call was refused (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = RocketchatErrorType)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorType {
    /// The body or query string breaks Rocket.Chat's validator.
    InvalidParams,
    /// `userId` names no user of the caller's tenant.
    ErrorInvalidUser,
    /// The change is refused: the last active admin, or a status it cannot leave.
    ErrorActionNotAllowed,
    /// The user alone owns rooms and `confirmRelinquish` was not `true`.
    UserLastOwner,
}

impl ErrorType {
    /// The word as the body's `errorType` writes it.
    fn as_str(self) -> &'static str {
        match self {
            ErrorType::InvalidParams => "invalid-params",
            ErrorType::ErrorInvalidUser => "error-invalid-user",
            ErrorType::ErrorActionNotAllowed => "error-action-not-allowed",
            ErrorType::UserLastOwner => "user-last-owner",
        }
    }
}

impl Dialect for RocketChat {
    type Code = Code;
    /// The rooms a deactivation would hand over or remove, on `user-last-owner`.
    type Detail = LastOwnerDetails;
    type Envelope = Envelope;

    const PATHS: &'static [&'static str] = &["/api"];
    const CHANNEL: Channel = Channel::RocketChat;

    fn status(code: Code) -> StatusCode {
        match code {
            Code::NotLoggedIn | Code::LoginFailed => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::Refused(_) => StatusCode::BAD_REQUEST,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn envelope(e: RcError) -> Envelope {
        let (error, error_type) = match e.code {
            Code::NotLoggedIn => {
                return Envelope::NotLoggedIn(NotLoggedInBody {
                    error: e.message.clone(),
                    message: e.message,
                    status: "error",
                    success: false,
                })
            }
            Code::LoginFailed => {
                return Envelope::LoginFailed(LoginFailedBody {
                    error: e.message.clone(),
                    message: e.message,
                    status: "error",
                })
            }
            // Meteor's errors read "reason [error]"; the validator's put the word on its own line.
            Code::Refused(t @ ErrorType::InvalidParams) => {
                (format!("{}\n[{}]", e.message, t.as_str()), Some(t))
            }
            Code::Refused(t) if e.message.is_empty() => (format!("[{}]", t.as_str()), Some(t)),
            Code::Refused(t) => (format!("{} [{}]", e.message, t.as_str()), Some(t)),
            _ => (e.message, None),
        };
        Envelope::Refused(ErrorBody {
            details: e.detail,
            error,
            error_type,
            success: false,
        })
    }

    fn service_error(e: Error) -> RcError {
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
            } => Failure::new(Code::Refused(ErrorType::UserLastOwner), "").with_detail(
                LastOwnerDetails {
                    should_be_removed,
                    should_change_owner,
                },
            ),
            Error::Transition {
                current,
                transition,
            } => RcError::not_allowed(format!("cannot {transition} a user who is {current}")),
            Error::Taken(_)
            | Error::Exists(_)
            | Error::VersionMismatch { .. }
            | Error::Conflict => RcError::not_allowed("the user changed meanwhile; retry"),
            Error::Gone(reason) => RcError::not_allowed(reason),
            // Rocket.Chat's own refusal of a call its permissions do not allow.
            Error::Forbidden(_) => RcError::forbidden(),
            Error::BadCredentials => Self::unauthenticated(),
            Error::Unavailable => Failure::new(
                Code::Unavailable,
                "The service is unavailable; retry shortly",
            ),
            Error::Internal(e) => {
                Failure::new(Code::Internal, "Internal server error").caused_by(e)
            }
        }
    }

    /// Whatever is wrong with a body (too large, not JSON, malformed), Rocket.Chat's validator
    /// refuses it as `invalid-params`.
    fn body_error(e: BodyError) -> RcError {
        RcError::invalid_params(match e.field {
            Some(f) => format!("'{f}' {}", e.message),
            None => e.message,
        })
    }

    fn unauthenticated() -> RcError {
        Failure::new(Code::NotLoggedIn, "You must be logged in to do this.")
    }

    /// A session of another tenant than the base URL's: as if there were none.
    fn unknown_tenant() -> RcError {
        Self::unauthenticated()
    }

    fn no_route(_path: &str) -> RcError {
        Failure::new(Code::NotFound, "Resource not found")
    }

    fn wrong_method(_method: &Method, _path: &str) -> RcError {
        Failure::new(Code::MethodNotAllowed, "Method not allowed")
    }

    fn undecodable_path() -> RcError {
        Self::no_route("")
    }
}

impl RcError {
    /// 400 `invalid-params`, in the words of Rocket.Chat's validator.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Failure::new(Code::Refused(ErrorType::InvalidParams), message)
    }

    pub fn invalid_user() -> Self {
        Failure::new(
            Code::Refused(ErrorType::ErrorInvalidUser),
            "The required \"userId\" param provided does not match any users",
        )
    }

    pub fn not_allowed(message: impl Into<String>) -> Self {
        Failure::new(Code::Refused(ErrorType::ErrorActionNotAllowed), message)
    }

    pub fn forbidden() -> Self {
        Failure::new(
            Code::Forbidden,
            "User does not have the permissions required for this action [error-unauthorized]",
        )
    }

    pub fn login_failed() -> Self {
        Failure::new(Code::LoginFailed, "Unauthorized")
    }
}

/// Every error body of this dialect.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Envelope {
    NotLoggedIn(NotLoggedInBody),
    LoginFailed(LoginFailedBody),
    Refused(ErrorBody),
}

/// A refused call (400), a missing permission (403), the database down (503).
#[derive(Serialize, ToSchema)]
#[schema(as = RocketchatError, example = json!({
    "error": "must have required property 'activeStatus'\n[invalid-params]",
    "errorType": "invalid-params",
    "success": false
}))]
pub struct ErrorBody {
    /// With `user-last-owner` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    details: Option<LastOwnerDetails>,
    /// What went wrong, ending with the `errorType` in brackets when there is one.
    error: String,
    /// On a 400 only.
    #[serde(rename = "errorType", skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    error_type: Option<ErrorType>,
    #[schema(schema_with = always_false)]
    success: bool,
}

/// The rooms a deactivation would hand over or remove, by name.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RocketchatLastOwnerDetails)]
pub struct LastOwnerDetails {
    /// Rooms with no other active member, which are removed.
    #[serde(rename = "shouldBeRemoved")]
    should_be_removed: Vec<String>,
    /// Rooms the user alone owns that pass to their oldest active member.
    #[serde(rename = "shouldChangeOwner")]
    should_change_owner: Vec<String>,
}

/// A call without a live session for its `X-User-Id` and `X-Auth-Token` (401).
#[derive(Serialize, ToSchema)]
#[schema(as = RocketchatUnauthorized, example = json!({
    "error": "You must be logged in to do this.",
    "message": "You must be logged in to do this.",
    "status": "error",
    "success": false
}))]
pub struct NotLoggedInBody {
    error: String,
    message: String,
    #[schema(schema_with = error_word)]
    status: &'static str,
    #[schema(schema_with = always_false)]
    success: bool,
}

/// A failed login (401), the same whatever the reason.
#[derive(Serialize, ToSchema)]
#[schema(as = RocketchatLoginFailed, example = json!({
    "error": "Unauthorized",
    "message": "Unauthorized",
    "status": "error"
}))]
pub struct LoginFailedBody {
    error: String,
    message: String,
    #[schema(schema_with = error_word)]
    status: &'static str,
}

#[cfg(test)]
mod tests {
    use super::ErrorType;

    #[test]
    fn each_error_type_is_written_as_serde_names_it() {
        for t in [
            ErrorType::InvalidParams,
            ErrorType::ErrorInvalidUser,
            ErrorType::ErrorActionNotAllowed,
            ErrorType::UserLastOwner,
        ] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
    }
}
