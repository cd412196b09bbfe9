//! Regpack's error envelope: the same one as its answers, with `success: false` and
//! `msg_type: "error"`; roster adds `errors` (`[{field, message}]`) when it can name fields.

use crate::domain::FieldError;
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
pub struct RegpackError {
    status: StatusCode,
    msg: String,
    fields: Vec<FieldError>,
    internal: Option<Arc<anyhow::Error>>,
}

impl RegpackError {
    pub fn new(status: StatusCode, msg: impl Into<String>) -> Self {
        Self {
            status,
            msg: msg.into(),
            fields: Vec::new(),
            internal: None,
        }
    }

    pub fn bad_request(fields: Vec<FieldError>) -> Self {
        let msg = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = Self::new(StatusCode::BAD_REQUEST, msg);
        e.fields = fields;
        e
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::bad_request(vec![FieldError::new(field, message)])
    }

    pub fn unauthorized(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, msg)
    }

    /// Renames service field names to where this dialect's clients put them (`doc.email`).
    pub fn renamed(self, rename: &[(&str, &str)]) -> Self {
        if self.fields.is_empty() {
            return self;
        }
        let fields = self
            .fields
            .into_iter()
            .map(|mut f| {
                if let Some((_, to)) = rename.iter().find(|(from, _)| f.field == *from) {
                    f.field = (*to).to_owned();
                }
                f
            })
            .collect();
        let mut e = Self::bad_request(fields);
        e.status = self.status;
        e
    }
}

impl From<Error> for RegpackError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(fields) => Self::bad_request(fields),
            Error::NotFound(what) => Self::new(StatusCode::NOT_FOUND, format!("{what} not found")),
            Error::Taken(fields) => {
                let mut e = Self::new(
                    StatusCode::CONFLICT,
                    fields
                        .iter()
                        .map(|f| format!("{f}: is already used in this organization"))
                        .collect::<Vec<_>>()
                        .join("; "),
                );
                e.fields = fields
                    .into_iter()
                    .map(|f| FieldError::new(f, "is already used in this organization"))
                    .collect();
                e
            }
            Error::Exists(what) => {
                Self::new(StatusCode::CONFLICT, format!("{what} already exists"))
            }
            Error::Transition {
                current,
                transition,
            } => Self::new(
                StatusCode::CONFLICT,
                format!("cannot {transition} a user who is {current}"),
            ),
            Error::VersionMismatch { .. } | Error::Conflict => {
                Self::new(StatusCode::CONFLICT, "the user changed meanwhile; retry")
            }
            Error::LastAdmin | Error::LastOwner { .. } => {
                Self::new(StatusCode::CONFLICT, e.to_string())
            }
            Error::Gone(reason) => Self::new(StatusCode::GONE, reason),
            Error::BadCredentials => Self::unauthorized("wrong email or password"),
            Error::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unreachable; retry shortly",
            ),
            Error::Internal(e) => {
                let mut r = Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "roster failed to answer this request; it has been logged",
                );
                r.internal = Some(Arc::new(e));
                r
            }
        }
    }
}

impl From<Refusal> for RegpackError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unauthenticated => {
                Self::unauthorized("send a valid roster API key as the Api-token header")
            }
            Refusal::UnknownTenant => Self::new(
                StatusCode::NOT_FOUND,
                "organization not found: Api-id (and a /t/{tenant} base URL) must name the \
                 organization of the Api-token",
            ),
            Refusal::Service(e) => e.into(),
        }
    }
}

impl From<BodyError> for RegpackError {
    fn from(e: BodyError) -> Self {
        match e.field {
            Some(field) => {
                let mut r = Self::field(&field, e.message);
                r.status = e.status;
                r
            }
            None => Self::new(e.status, e.message),
        }
    }
}

impl IntoResponse for RegpackError {
    fn into_response(self) -> Response {
        let mut body = json!({ "msg": self.msg, "msg_type": "error", "success": false });
        if !self.fields.is_empty() {
            body["errors"] = Value::Array(
                self.fields
                    .iter()
                    .map(|f| json!({ "field": f.field, "message": f.message }))
                    .collect(),
            );
        }
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(e) = self.internal {
            res.extensions_mut().insert(InternalError(e));
        }
        res
    }
}
