//! Village's error envelope. Village does not publish its error bodies, so roster answers every
//! error of this dialect, malformed JSON included, with one documented shape:
//! `{"error": {"code": "...", "message": "...", "fields": [{"field", "message"}]}}`.

use crate::domain::event::Channel;
use crate::domain::{FieldError, Status};
use crate::http::auth::bearer;
use crate::http::dialects::kit::{Dialect, Failure, KeyAuth};
use crate::http::json::BodyError;
use crate::http::problem::FieldBody;
use crate::service::Error;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

/// The Village dialect.
#[derive(Debug)]
pub struct Village;

pub type VillageError = Failure<Village>;

/// The status an error answers, as a word.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[schema(as = VillageErrorCode)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// 400: the request cannot be read or a field breaks a rule.
    BadRequest,
    /// 413: the body is larger than 64 KiB.
    PayloadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 401.
    Unauthorized,
    /// 403: the API key's scopes do not allow the call.
    Forbidden,
    /// 404: the network or user, or a path Village does not serve.
    NotFound,
    /// 405: a Village path that does not answer the request's method.
    MethodNotAllowed,
    /// 409.
    Conflict,
    /// 410: what the request names can no longer be used.
    Gone,
    /// 503.
    Unavailable,
    /// 500.
    Internal,
}

impl Dialect for Village {
    type Code = Code;
    /// The user's status, when a status change was refused because of it.
    type Detail = Status;
    type Envelope = ErrorBody;

    const PATHS: &'static [&'static str] = &["/networks"];
    const CHANNEL: Channel = Channel::Village;

    fn status(code: Code) -> StatusCode {
        match code {
            Code::BadRequest => StatusCode::BAD_REQUEST,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::Conflict => StatusCode::CONFLICT,
            Code::Gone => StatusCode::GONE,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn envelope(e: VillageError) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: e.code,
                current_status: e.detail.map(Status::as_str),
                fields: e.fields.into_iter().map(FieldBody::from).collect(),
                message: e.message,
            },
        }
    }

    fn service_error(e: Error) -> VillageError {
        match e {
            Error::LastAdmin | Error::LastOwner { .. } => {
                Failure::new(Code::Conflict, e.to_string())
            }
            Error::Invalid(fields) => VillageError::bad_request(fields),
            Error::NotFound(what) => VillageError::not_found(what.as_str()),
            Error::Taken(fields) => VillageError::bad_request(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(f, "is already taken"))
                    .collect(),
            ),
            Error::Exists(what) => Failure::new(Code::Conflict, format!("{what} already exists")),
            Error::Transition { current, .. } => {
                Failure::new(Code::Conflict, e.to_string()).with_detail(current)
            }
            Error::VersionMismatch { .. } | Error::Conflict => {
                Failure::changed_meanwhile(Code::Conflict)
            }
            Error::Gone(reason) => Failure::new(Code::Gone, reason),
            Error::Forbidden(missing) => Failure::new(Code::Forbidden, missing.to_string()),
            Error::BadCredentials => Failure::new(Code::Unauthorized, "invalid credentials"),
            Error::Unavailable => Failure::unavailable(Code::Unavailable),
            Error::Internal(e) => Failure::internal(Code::Internal, e),
        }
    }

    fn body_error(e: BodyError) -> VillageError {
        let code = match e.status {
            StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
            _ => Code::BadRequest,
        };
        match e.field {
            Some(field) => Failure::new(code, format!("{field}: {}", e.message))
                .with_fields(vec![FieldError::new(field, e.message)]),
            None => Failure::new(code, e.message),
        }
    }

    fn unauthenticated() -> VillageError {
        Failure::new(
            Code::Unauthorized,
            "send a valid API key as Authorization: Bearer <key>",
        )
    }

    fn unknown_tenant() -> VillageError {
        VillageError::not_found("network")
    }

    fn no_route(_path: &str) -> VillageError {
        VillageError::not_found("route")
    }

    fn wrong_method(method: &Method, _path: &str) -> VillageError {
        Failure::new(
            Code::MethodNotAllowed,
            format!("this route does not answer {method}"),
        )
    }

    fn undecodable_path() -> VillageError {
        VillageError::not_found("network or user")
    }
}

impl KeyAuth for Village {
    fn api_key(parts: &Parts) -> Option<&str> {
        bearer(parts)
    }
}

impl VillageError {
    pub fn bad_request(fields: Vec<FieldError>) -> Self {
        let message = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        Failure::new(Code::BadRequest, message).with_fields(fields)
    }

    pub fn not_found(what: &str) -> Self {
        Failure::new(Code::NotFound, format!("{what} not found"))
    }

    /// Renames the fields of service errors to the names this dialect's clients sent.
    pub fn renamed(mut self, rename: &[(&str, &str)]) -> Self {
        for f in &mut self.fields {
            if let Some((_, to)) = rename.iter().find(|(from, _)| f.field == *from) {
                f.field = (*to).to_owned();
            }
        }
        for (from, to) in rename {
            self.message = self.message.replace(&format!("{from}:"), &format!("{to}:"));
        }
        self
    }
}

/// Every error of the Village dialect.
#[derive(Serialize, ToSchema)]
#[schema(as = VillageError, example = json!({
    "error": {
        "code": "bad_request",
        "fields": [{"field": "user", "message": "must be a valid email address"}],
        "message": "user: must be a valid email address"
    }
}))]
pub struct ErrorBody {
    error: ErrorDetail,
}

// The members are in the order roster has always sent them (it built this body as a sorted
// JSON map); clients have seen no other.
#[derive(Serialize, ToSchema)]
#[schema(as = VillageErrorDetail)]
struct ErrorDetail {
    code: Code,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, schema_with = current_status)]
    current_status: Option<&'static str>,
    /// The request fields at fault, each with what is wrong with it. Only on a 400 that names
    /// fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    fields: Vec<FieldBody>,
    /// What went wrong, in words; with `fields`, each `field: message` joined by `; `.
    message: String,
}

fn current_status() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let mut status = utoipa::openapi::Ref::from_schema_name("Status");
    status.description =
        "The user's status, when a status change was refused because of it (409).".into();
    status.into()
}
