//! Regpack's error envelope: the same one as its answers, with `success: false` and
//! `msg_type: "error"`; roster adds `errors` (`[{field, message}]`) when it can name fields.
//! Its members are in the order roster has always sent them: it built it as a sorted JSON map.

use crate::domain::event::Channel;
use crate::domain::FieldError;
use crate::http::dialects::kit::{Dialect, Failure};
use crate::http::json::BodyError;
use crate::http::problem::FieldBody;
use crate::service::Error;
use axum::http::{Method, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

/// The Regpack dialect.
#[derive(Debug)]
pub struct Regpack;

pub type RegpackError = Failure<Regpack>;

impl Dialect for Regpack {
    /// Regpack's errors differ by status alone.
    type Code = StatusCode;
    type Detail = ();
    type Envelope = ErrorBody;

    const PATHS: &'static [&'static str] = &["/reg"];
    const CHANNEL: Channel = Channel::Regpack;

    fn status(code: StatusCode) -> StatusCode {
        code
    }

    fn envelope(e: RegpackError) -> ErrorBody {
        ErrorBody {
            errors: e.fields.into_iter().map(FieldBody::from).collect(),
            msg: e.message,
            msg_type: ErrorType::Error,
            success: false,
        }
    }

    fn service_error(e: Error) -> RegpackError {
        match e {
            Error::Invalid(fields) => RegpackError::bad_request(fields),
            Error::NotFound(what) => {
                Failure::new(StatusCode::NOT_FOUND, format!("{what} not found"))
            }
            Error::Taken(fields) => RegpackError::about(
                StatusCode::CONFLICT,
                fields
                    .into_iter()
                    .map(|f| FieldError::new(f, "is already used in this organization"))
                    .collect(),
            ),
            Error::Exists(what) => {
                Failure::new(StatusCode::CONFLICT, format!("{what} already exists"))
            }
            Error::Transition { .. } | Error::LastAdmin | Error::LastOwner { .. } => {
                Failure::new(StatusCode::CONFLICT, e.to_string())
            }
            Error::VersionMismatch { .. } | Error::Conflict => {
                Failure::changed_meanwhile(StatusCode::CONFLICT)
            }
            Error::Gone(reason) => Failure::new(StatusCode::GONE, reason),
            Error::Forbidden(missing) => Failure::new(StatusCode::FORBIDDEN, missing.to_string()),
            Error::BadCredentials => RegpackError::unauthorized("wrong email or password"),
            Error::Unavailable => Failure::unavailable(StatusCode::SERVICE_UNAVAILABLE),
            Error::Internal(e) => Failure::internal(StatusCode::INTERNAL_SERVER_ERROR, e),
        }
    }

    fn body_error(e: BodyError) -> RegpackError {
        match e.field {
            Some(field) => RegpackError::about(e.status, vec![FieldError::new(field, e.message)]),
            None => Failure::new(e.status, e.message),
        }
    }

    fn unauthenticated() -> RegpackError {
        RegpackError::unauthorized("send a valid roster API key as the Api-token header")
    }

    fn unknown_tenant() -> RegpackError {
        Failure::new(
            StatusCode::NOT_FOUND,
            "organization not found: Api-id (and a /t/{tenant} base URL) must name the \
             organization of the Api-token",
        )
    }

    fn no_route(path: &str) -> RegpackError {
        Failure::new(
            StatusCode::NOT_FOUND,
            format!("no Regpack endpoint at {path}"),
        )
    }

    fn wrong_method(method: &Method, _path: &str) -> RegpackError {
        Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed: Regpack's endpoints answer POST"),
        )
    }

    fn undecodable_path() -> RegpackError {
        Failure::new(StatusCode::NOT_FOUND, "not found")
    }
}

impl RegpackError {
    /// An error about `fields`; `msg` names each, `field: message`, joined by `; `.
    fn about(status: StatusCode, fields: Vec<FieldError>) -> Self {
        Failure::new(status, joined(&fields)).with_fields(fields)
    }

    pub fn bad_request(fields: Vec<FieldError>) -> Self {
        Self::about(StatusCode::BAD_REQUEST, fields)
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::bad_request(vec![FieldError::new(field, message)])
    }

    pub fn unauthorized(msg: impl Into<String>) -> Self {
        Failure::new(StatusCode::UNAUTHORIZED, msg)
    }

    /// Renames service field names to where this dialect's clients put them (`doc.email`).
    pub fn renamed(mut self, rename: &[(&str, &str)]) -> Self {
        if self.fields.is_empty() {
            return self;
        }
        for f in &mut self.fields {
            if let Some((_, to)) = rename.iter().find(|(from, _)| f.field == *from) {
                f.field = (*to).to_owned();
            }
        }
        self.message = joined(&self.fields);
        self
    }
}

fn joined(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Regpack's error envelope: `errors` names the fields when the error is about some.
#[derive(Serialize, ToSchema)]
#[schema(as = RegpackError, example = json!({
    "errors": [{"field": "doc.email", "message": "is required"}],
    "msg": "doc.email: is required",
    "msg_type": "error",
    "success": false
}))]
pub struct ErrorBody {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    errors: Vec<FieldBody>,
    /// Every field error, `field: message`, joined by `; `; or the one reason.
    msg: String,
    #[schema(inline)]
    msg_type: ErrorType,
    /// Always `false`.
    success: bool,
}

/// `{"msg_type": "error"}`, on every error.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ErrorType {
    Error,
}
