//! Village's error envelope. Village does not publish its error bodies, so roster answers every
//! error of this dialect, malformed JSON included, with one documented shape:
//! `{"error": {"code": "...", "message": "...", "fields": [{"field", "message"}]}}`.

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
pub struct VillageError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
    current_status: Option<&'static str>,
    internal: Option<Arc<anyhow::Error>>,
}

impl VillageError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            current_status: None,
            internal: None,
        }
    }

    pub fn bad_request(fields: Vec<FieldError>) -> Self {
        let message = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = Self::new(StatusCode::BAD_REQUEST, "bad_request", message);
        e.fields = fields;
        e
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::bad_request(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
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

impl From<Error> for VillageError {
    fn from(e: Error) -> Self {
        match e {
            Error::LastAdmin | Error::LastOwner { .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            Error::Invalid(fields) => Self::bad_request(fields),
            Error::NotFound(what) => Self::not_found(what),
            Error::Taken(fields) => Self::bad_request(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(f, "is already taken"))
                    .collect(),
            ),
            Error::Exists(what) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} already exists"),
            ),
            Error::Transition {
                current,
                transition,
            } => {
                let mut e = Self::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!("cannot {transition} a user who is {current}"),
                );
                e.current_status = Some(current.as_str());
                e
            }
            Error::VersionMismatch { .. } | Error::Conflict => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                "the user changed meanwhile; retry",
            ),
            Error::Gone(reason) => Self::new(StatusCode::GONE, "gone", reason),
            Error::BadCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "invalid credentials",
            ),
            Error::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is unreachable; retry shortly",
            ),
            Error::Internal(e) => {
                let mut v = Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "roster failed to answer this request; it has been logged",
                );
                v.internal = Some(Arc::new(e));
                v
            }
        }
    }
}

impl From<Refusal> for VillageError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send a valid API key as Authorization: Bearer <key>",
            ),
            Refusal::UnknownTenant => Self::not_found("network"),
            Refusal::Service(e) => e.into(),
        }
    }
}

impl From<BodyError> for VillageError {
    fn from(e: BodyError) -> Self {
        let code = match e.status {
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            _ => "bad_request",
        };
        let mut v = Self::new(e.status, code, e.message.clone());
        if let Some(field) = e.field {
            v.message = format!("{field}: {}", e.message);
            v.fields.push(FieldError::new(field, e.message));
        }
        v
    }
}

impl IntoResponse for VillageError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if !self.fields.is_empty() {
            error["fields"] = Value::Array(
                self.fields
                    .iter()
                    .map(|f| json!({ "field": f.field, "message": f.message }))
                    .collect(),
            );
        }
        if let Some(s) = self.current_status {
            error["current_status"] = json!(s);
        }
        let mut res = (self.status, Json(json!({ "error": error }))).into_response();
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

// The envelope for the contract. `into_response` builds it with `json!`, so these types only
// document it: `fields` and `current_status` are sent only when they have something to say.

/// Every error of the Village dialect.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = VillageError, example = json!({
    "error": {
        "code": "bad_request",
        "message": "user: must be a valid email address",
        "fields": [{"field": "user", "message": "must be a valid email address"}]
    }
}))]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = VillageErrorDetail)]
#[allow(dead_code)]
struct ErrorDetail {
    code: Code,
    /// What went wrong, in words; with `fields`, each `field: message` joined by `; `.
    message: String,
    /// The request fields at fault, each with what is wrong with it. Only on a 400 that names
    /// fields.
    #[schema(required = false)]
    fields: Vec<FieldBody>,
    #[schema(required = false, schema_with = current_status)]
    current_status: String,
}

fn current_status() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let mut status = utoipa::openapi::Ref::from_schema_name("Status");
    status.description =
        "The user's status, when a status change was refused because of it (409).".into();
    status.into()
}

/// The status an error answers, as a word.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = VillageErrorCode)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum Code {
    /// 400: the request cannot be read or a field breaks a rule.
    BadRequest,
    /// 413: the body is larger than 64 KiB.
    PayloadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 401.
    Unauthorized,
    /// 404: the network or user.
    NotFound,
    /// 409.
    Conflict,
    /// 503.
    Unavailable,
    /// 500.
    Internal,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = VillageFieldError)]
#[allow(dead_code)]
struct FieldBody {
    /// The field's path in the request, e.g. `segment_adds[0]` or `metadata.description`; `.`
    /// for the body as a whole.
    field: String,
    message: String,
}
