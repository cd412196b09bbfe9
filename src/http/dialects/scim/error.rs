//! SCIM's error schema (RFC 7644 3.12): `status` as a string, `scimType` for the kinds of 400
//! (and 409) it names, `detail` for people.

use crate::domain::event::Channel;
use crate::domain::FieldError;
use crate::http::dialects::kit::{Dialect, Failure};
use crate::http::json::BodyError;
use crate::service::Error;
use axum::http::{Method, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The SCIM dialect.
#[derive(Debug)]
pub struct Scim;

pub type ScimError = Failure<Scim>;

/// RFC 7644's `scimType`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
}

impl ScimType {
    fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
        }
    }
}

/// A status and, for the errors SCIM classifies, its `scimType`.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    pub status: StatusCode,
    pub scim_type: Option<ScimType>,
}

impl Dialect for Scim {
    type Code = Code;
    type Detail = ();
    type Envelope = ErrorBody;

    const PATHS: &'static [&'static str] = &["/scim/v2"];
    const CHANNEL: Channel = Channel::Scim;

    fn status(code: Code) -> StatusCode {
        code.status
    }

    fn envelope(e: ScimError) -> ErrorBody {
        ErrorBody {
            schemas: [ERROR_SCHEMA],
            status: e.code.status.as_u16().to_string(),
            scim_type: e.code.scim_type.map(ScimType::as_str),
            detail: e.message,
        }
    }

    fn service_error(e: Error) -> ScimError {
        match e {
            Error::Invalid(fields) => ScimError::invalid(&fields),
            Error::NotFound(what) => {
                ScimError::plain(StatusCode::NOT_FOUND, format!("{what} not found"))
            }
            Error::Taken(fields) => ScimError::typed(
                StatusCode::CONFLICT,
                ScimType::Uniqueness,
                format!(
                    "{} already used by another user of this tenant",
                    fields
                        .iter()
                        .map(|f| scim_name(f))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Error::Exists(what) => ScimError::typed(
                StatusCode::CONFLICT,
                ScimType::Uniqueness,
                format!("{what} already exists"),
            ),
            Error::Transition { .. } | Error::LastAdmin | Error::LastOwner { .. } => {
                ScimError::plain(StatusCode::CONFLICT, e.to_string())
            }
            Error::VersionMismatch { .. } => {
                ScimError::plain(StatusCode::PRECONDITION_FAILED, e.to_string())
            }
            Error::Conflict => {
                ScimError::plain(StatusCode::CONFLICT, "the user changed meanwhile; retry")
            }
            Error::Gone(reason) => ScimError::plain(StatusCode::GONE, reason),
            Error::Forbidden(missing) => {
                ScimError::plain(StatusCode::FORBIDDEN, missing.to_string())
            }
            Error::BadCredentials => {
                ScimError::plain(StatusCode::UNAUTHORIZED, "invalid credentials")
            }
            Error::Unavailable => ScimError::plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unreachable; retry shortly",
            ),
            Error::Internal(e) => ScimError::plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "roster failed to answer this request; it has been logged",
            )
            .caused_by(e),
        }
    }

    fn body_error(e: BodyError) -> ScimError {
        let detail = match e.field {
            Some(field) => format!("{field}: {}", e.message),
            None => e.message,
        };
        if e.status == StatusCode::BAD_REQUEST {
            ScimError::typed(e.status, ScimType::InvalidSyntax, detail)
        } else {
            ScimError::plain(e.status, detail)
        }
    }

    fn unauthenticated() -> ScimError {
        ScimError::plain(
            StatusCode::UNAUTHORIZED,
            "send the tenant's API key as Authorization: Bearer <key>",
        )
    }

    fn unknown_tenant() -> ScimError {
        ScimError::plain(
            StatusCode::NOT_FOUND,
            "tenant not found: the /t/{tenant} base URL must name the API key's tenant",
        )
    }

    fn no_route(path: &str) -> ScimError {
        ScimError::plain(StatusCode::NOT_FOUND, format!("no SCIM endpoint at {path}"))
    }

    fn wrong_method(method: &Method, path: &str) -> ScimError {
        ScimError::plain(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not supported at {path}"),
        )
    }

    fn undecodable_path() -> ScimError {
        ScimError::plain(StatusCode::NOT_FOUND, "not found")
    }
}

impl ScimError {
    pub fn plain(status: StatusCode, detail: impl Into<String>) -> Self {
        Failure::new(
            Code {
                status,
                scim_type: None,
            },
            detail,
        )
    }

    pub fn typed(status: StatusCode, scim_type: ScimType, detail: impl Into<String>) -> Self {
        Failure::new(
            Code {
                status,
                scim_type: Some(scim_type),
            },
            detail,
        )
    }

    /// A 400 `invalidValue` naming each bad field, as SCIM writes it.
    pub fn invalid(fields: &[FieldError]) -> Self {
        Self::bad(ScimType::InvalidValue, joined(fields))
    }

    /// A 400 of this type.
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::typed(StatusCode::BAD_REQUEST, scim_type, detail)
    }
}

/// The SCIM attribute a service field is written as.
fn scim_name(field: &str) -> &str {
    match field {
        "username" => "userName",
        "email" => "emails",
        "external_id" => "externalId",
        "first_name" => "name.givenName",
        "last_name" => "name.familyName",
        "phone_number" => "phoneNumbers",
        other => other,
    }
}

fn joined(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", scim_name(&f.field), f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A SCIM error.
#[derive(Serialize, ToSchema)]
#[schema(as = ScimError, example = json!({
    "schemas": [ERROR_SCHEMA],
    "status": "409",
    "scimType": "uniqueness",
    "detail": "userName already used by another user of this tenant"
}))]
pub struct ErrorBody {
    schemas: [&'static str; 1],
    /// The HTTP status, as a string.
    status: String,
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    scim_type: Option<&'static str>,
    detail: String,
}
