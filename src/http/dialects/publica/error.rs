//! Publica.la's error envelope, Laravel's: `{"message": "..."}`, and for validation errors
//! `422 {"message": "...", "errors": {"field": ["..."]}}`. Malformed JSON answers 422 too:
//! Laravel reads an unparsable JSON body as an empty input, so its clients meet a 422 there.

use crate::domain::rate_limit::RateWindow;
use crate::domain::FieldError;
use crate::http::json::{BodyError, Part};
use crate::http::problem::InternalError;
use crate::http::tenancy::Refusal;
use crate::service::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Request fields as Publica.la names them, for roster's service field names.
const FIELD_NAMES: &[(&str, &str)] = &[("plan", "assign_new_plan"), ("password", "new_password")];

#[derive(Debug)]
pub struct PublicaError {
    status: StatusCode,
    message: String,
    fields: Vec<FieldError>,
    rate: Option<RateWindow>,
    internal: Option<Arc<anyhow::Error>>,
}

/// Laravel's words for a field: `external_id` reads "external id".
fn attribute(field: &str) -> String {
    field.replace('_', " ")
}

impl PublicaError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            fields: Vec::new(),
            rate: None,
            internal: None,
        }
    }

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
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, message);
        e.fields = fields;
        e
    }

    pub fn required(field: &str) -> FieldError {
        FieldError::new(
            field,
            format!("The {} field is required.", attribute(field)),
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "User not found.")
    }

    /// 429: the key used up its calls of this window.
    pub fn too_many(window: RateWindow) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
        e.rate = Some(window);
        e
    }
}

impl From<Error> for PublicaError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(fields) => Self::invalid(fields),
            Error::Taken(fields) => Self::invalid(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(f, "has already been taken"))
                    .collect(),
            ),
            Error::NotFound("user") => Self::not_found(),
            Error::NotFound(what) => Self::new(StatusCode::NOT_FOUND, format!("{what} not found.")),
            Error::Exists(what) => {
                Self::new(StatusCode::CONFLICT, format!("The {what} already exists."))
            }
            Error::Transition {
                current,
                transition,
            } => Self::new(
                StatusCode::CONFLICT,
                format!("Cannot {transition} a user who is {current}."),
            ),
            Error::VersionMismatch { .. } | Error::Conflict => {
                Self::new(StatusCode::CONFLICT, "The user changed meanwhile; retry.")
            }
            Error::LastAdmin | Error::LastOwner { .. } => Self::new(
                StatusCode::CONFLICT,
                format!("{}.", capitalized(&e.to_string())),
            ),
            Error::Gone(reason) => Self::new(StatusCode::GONE, format!("{}.", capitalized(reason))),
            Error::BadCredentials => Self::new(StatusCode::UNAUTHORIZED, "Unauthenticated."),
            Error::Unavailable => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable.")
            }
            Error::Internal(e) => {
                let mut v = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Server Error");
                v.internal = Some(Arc::new(e));
                v
            }
        }
    }
}

impl From<Refusal> for PublicaError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unauthenticated => Self::new(StatusCode::UNAUTHORIZED, "Unauthenticated."),
            // Another tenant's base URL: as if nothing were there.
            Refusal::UnknownTenant => Self::new(StatusCode::NOT_FOUND, "Not Found."),
            Refusal::Service(e) => e.into(),
        }
    }
}

impl From<BodyError> for PublicaError {
    fn from(e: BodyError) -> Self {
        match e.status {
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Self::new(e.status, e.message)
            }
            _ => {
                let (part, what) = match e.part {
                    Part::Body => ("body", "request body"),
                    Part::Query => ("query", "query string"),
                };
                Self::invalid(vec![FieldError::new(
                    e.field.unwrap_or_else(|| part.to_owned()),
                    format!("The {what} is invalid: {}.", e.message),
                )])
            }
        }
    }
}

impl IntoResponse for PublicaError {
    fn into_response(self) -> Response {
        let mut body = json!({ "message": self.message });
        if self.status == StatusCode::UNPROCESSABLE_ENTITY {
            let mut errors = Map::new();
            for f in self.fields {
                match errors.get_mut(&f.field) {
                    Some(Value::Array(list)) => list.push(json!(f.message)),
                    _ => {
                        errors.insert(f.field, json!([f.message]));
                    }
                }
            }
            body["errors"] = Value::Object(errors);
        }
        let mut res = (self.status, Json(body)).into_response();
        let headers = res.headers_mut();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(w) = self.rate {
            let now = chrono::Utc::now().timestamp();
            headers.insert(header::RETRY_AFTER, w.retry_after(now).into());
            super::rate::limit_headers(headers, &w);
        }
        if let Some(e) = self.internal {
            res.extensions_mut().insert(InternalError(e));
        }
        res
    }
}

/// Laravel's messages start with a capital letter.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
