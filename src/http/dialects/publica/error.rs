//! Publica.la's error envelope, Laravel's: `{"message": "..."}`, and for validation errors
//! `422 {"message": "...", "errors": {"field": ["..."]}}`. Malformed JSON answers 422 too:
//! Laravel reads an unparsable JSON body as an empty input, so its clients meet a 422 there.

use super::rate::limit_headers;
use super::TOKEN_HEADER;
use crate::domain::event::Channel;
use crate::domain::rate_limit::RateWindow;
use crate::domain::Entity;
use crate::domain::FieldError;
use crate::http::dialects::kit::{Dialect, Failure, KeyAuth};
use crate::http::json::{BodyError, Part};
use crate::service::Error;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The Publica.la dialect.
#[derive(Debug)]
pub struct Publica;

pub type PublicaError = Failure<Publica>;

/// Request fields as Publica.la names them, for roster's service field names.
const FIELD_NAMES: &[(&str, &str)] = &[("plan", "assign_new_plan"), ("password", "new_password")];

/// Laravel's words for a field: `external_id` reads "external id".
fn attribute(field: &str) -> String {
    field.replace('_', " ")
}

impl Dialect for Publica {
    /// Laravel's errors differ by status alone.
    type Code = StatusCode;
    /// Where the key stands, on a 429.
    type Detail = RateWindow;
    type Envelope = Envelope;

    const PATHS: &'static [&'static str] = &["/integration-api"];
    const CHANNEL: Channel = Channel::Publica;

    fn status(code: StatusCode) -> StatusCode {
        code
    }

    fn envelope(e: PublicaError) -> Envelope {
        if e.code != StatusCode::UNPROCESSABLE_ENTITY {
            return Envelope::Refused(ErrorBody { message: e.message });
        }
        let mut errors = BTreeMap::<String, Vec<String>>::new();
        for f in e.fields {
            errors.entry(f.field).or_default().push(f.message);
        }
        Envelope::Invalid(ValidationError {
            errors,
            message: e.message,
        })
    }

    fn headers(e: &PublicaError, headers: &mut HeaderMap) {
        if let Some(w) = &e.detail {
            headers.insert(header::RETRY_AFTER, w.retry_after.into());
            limit_headers(headers, w);
        }
    }

    fn service_error(e: Error) -> PublicaError {
        match e {
            Error::Invalid(fields) => PublicaError::invalid(fields),
            Error::Taken(fields) => PublicaError::invalid(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(f, "has already been taken"))
                    .collect(),
            ),
            Error::NotFound(Entity::User) => PublicaError::not_found(),
            Error::NotFound(what) => {
                Failure::new(StatusCode::NOT_FOUND, format!("{what} not found."))
            }
            Error::Exists(what) => {
                Failure::new(StatusCode::CONFLICT, format!("The {what} already exists."))
            }
            Error::Transition {
                current,
                transition,
            } => Failure::new(
                StatusCode::CONFLICT,
                format!("Cannot {transition} a user who is {current}."),
            ),
            Error::VersionMismatch { .. } | Error::Conflict => {
                Failure::new(StatusCode::CONFLICT, "The user changed meanwhile; retry.")
            }
            Error::LastAdmin | Error::LastOwner { .. } => Failure::new(
                StatusCode::CONFLICT,
                format!("{}.", capitalized(&e.to_string())),
            ),
            Error::Gone(reason) => {
                Failure::new(StatusCode::GONE, format!("{}.", capitalized(reason)))
            }
            Error::Forbidden(missing) => Failure::new(
                StatusCode::FORBIDDEN,
                format!("This action is unauthorized: {missing}."),
            ),
            Error::BadCredentials => Self::unauthenticated(),
            Error::Unavailable => {
                Failure::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable.")
            }
            Error::Internal(e) => {
                Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "Server Error").caused_by(e)
            }
        }
    }

    fn body_error(e: BodyError) -> PublicaError {
        match e.status {
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Failure::new(e.status, e.message)
            }
            _ => {
                let (part, what) = match e.part {
                    Part::Body => ("body", "request body"),
                    Part::Query => ("query", "query string"),
                };
                PublicaError::invalid(vec![FieldError::new(
                    e.field.unwrap_or_else(|| part.to_owned()),
                    format!("The {what} is invalid: {}.", e.message),
                )])
            }
        }
    }

    fn unauthenticated() -> PublicaError {
        Failure::new(StatusCode::UNAUTHORIZED, "Unauthenticated.")
    }

    /// Another tenant's base URL: as if nothing were there.
    fn unknown_tenant() -> PublicaError {
        Failure::new(StatusCode::NOT_FOUND, "Not Found.")
    }

    /// Laravel's words for a route it does not have.
    fn no_route(path: &str) -> PublicaError {
        Failure::new(
            StatusCode::NOT_FOUND,
            format!(
                "The route {} could not be found.",
                path.trim_start_matches('/')
            ),
        )
    }

    fn wrong_method(method: &Method, path: &str) -> PublicaError {
        Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "The {method} method is not supported for route {}.",
                path.trim_start_matches('/')
            ),
        )
    }

    fn undecodable_path() -> PublicaError {
        PublicaError::not_found()
    }
}

impl KeyAuth for Publica {
    fn api_key(parts: &Parts) -> Option<&str> {
        parts
            .headers
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
    }
}

impl PublicaError {
    /// 422 with one message per field, each a Laravel sentence.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let fields: Vec<FieldError> = fields
            .into_iter()
            .map(|f| {
                let name = FIELD_NAMES
                    .iter()
                    .find(|(from, _)| *from == f.field)
                    .map_or(f.field.clone(), |(_, to)| (*to).to_owned());
                let message = if f.message.starts_with("The ") {
                    f.message
                } else {
                    format!(
                        "The {} {}.",
                        attribute(&name),
                        f.message.trim_end_matches('.')
                    )
                };
                FieldError::new(name, message)
            })
            .collect();
        let mut message = fields.first().map_or_else(
            || "The given data was invalid.".to_owned(),
            |f| f.message.clone(),
        );
        if fields.len() > 1 {
            let more = fields.len() - 1;
            let s = if more == 1 { "" } else { "s" };
            message = format!("{message} (and {more} more error{s})");
        }
        Failure::new(StatusCode::UNPROCESSABLE_ENTITY, message).with_fields(fields)
    }

    pub fn required(field: &str) -> FieldError {
        FieldError::new(
            field,
            format!("The {} field is required.", attribute(field)),
        )
    }

    pub fn not_found() -> Self {
        Failure::new(StatusCode::NOT_FOUND, "User not found.")
    }

    /// 429: the key used up its calls of this window.
    pub fn too_many(window: RateWindow) -> Self {
        Failure::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.").with_detail(window)
    }
}

/// Laravel's messages start with a capital letter.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// Every error body of this dialect.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Envelope {
    Refused(ErrorBody),
    Invalid(ValidationError),
}

/// Laravel's error envelope.
#[derive(Serialize, ToSchema)]
#[schema(as = PublicaError, example = json!({"message": "Unauthenticated."}))]
pub struct ErrorBody {
    message: String,
}

/// Laravel's validation envelope: every refused member, each with its sentences. `message` is
/// the first of them.
#[derive(Serialize, ToSchema)]
#[schema(as = PublicaValidationError, example = json!({
    "message": "The external id field is required. (and 1 more error)",
    "errors": {
        "external_id": ["The external id field is required."],
        "email": ["The email has already been taken."]
    }
}))]
// `errors` first: the order roster has always sent them in (it built this body as a sorted
// JSON map).
pub struct ValidationError {
    errors: BTreeMap<String, Vec<String>>,
    message: String,
}
