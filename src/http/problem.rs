//! The native API's error envelope: RFC 9457 `application/problem+json`.

use crate::domain::permission::Missing;
use crate::domain::{DomainError, FieldError};
use crate::service::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

/// Answers as the contract lists them, by status.
pub type Responses = BTreeMap<String, RefOr<utoipa::openapi::Response>>;

/// An error that reached a client as a 500. The response carries it so that one middleware
/// logs it, with the request id, exactly once; the client sees a generic message.
#[derive(Clone)]
pub struct InternalError(pub Arc<anyhow::Error>);

/// A problem document. Boxed, so that `Result<T, Problem>` stays one pointer wide on every
/// handler's return path.
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemBody>);

/// An RFC 9457 problem: how every native error answers. Some carry extension members
/// (`current_status`, `current_version`, `should_change_owner`...).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Problem, example = json!({
    "type": "urn:roster:problem:validation",
    "title": "Invalid request",
    "status": 422,
    "detail": "email: is not a valid email address",
    "errors": [{"field": "email", "message": "is not a valid email address"}]
}))]
pub struct ProblemBody {
    /// `urn:roster:problem:<code>`: the stable, machine-readable kind.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// One entry per offending field, named by its JSON path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldBody>,
    /// Extension members (e.g. `current_status`).
    #[serde(flatten)]
    #[schema(ignore)]
    pub extra: Map<String, Value>,
    #[serde(skip)]
    internal: Option<Arc<anyhow::Error>>,
}

/// A field the request got wrong and what is wrong with it: every API that names fields in
/// its errors (native, Village, Regpack) names them in this shape.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = FieldError)]
pub struct FieldBody {
    /// The field's path in the request, e.g. `doc.email`, `segment_adds[0]` or
    /// `metadata.description`; `.` for the body as a whole.
    #[schema(example = "email")]
    pub field: String,
    #[schema(example = "is required")]
    pub message: String,
}

impl From<FieldError> for FieldBody {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field,
            message: e.message,
        }
    }
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: &str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self(Box::new(ProblemBody {
            kind: format!("urn:roster:problem:{code}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            extra: Map::new(),
            internal: None,
        }))
    }

    /// The problem's detail: what a client reads.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// A body that could not be read as the request it should be (400).
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Malformed request",
            detail,
        )
    }

    /// Values that parsed but break a rule (422), each named by its field.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let detail = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid request",
            detail,
        );
        p.0.errors = fields.into_iter().map(FieldBody::from).collect();
        p
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("{what} not found"),
        )
    }

    /// The caller lacks a permission or a scope: named in `missing_permission` and, for an
    /// API key, `missing_scope`.
    pub fn forbidden(missing: Missing) -> Self {
        let mut p = Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            missing.to_string(),
        );
        p.0.extra.insert(
            "missing_permission".into(),
            missing.permission.as_str().into(),
        );
        if let Some(scope) = missing.scope {
            p.0.extra
                .insert("missing_scope".into(), scope.as_str().into());
        }
        p
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            detail,
        )
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.extra.insert(key.to_owned(), value.into());
        self
    }

    pub fn with_field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.0.errors.push(FieldBody {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    fn internal(error: anyhow::Error) -> Self {
        let mut p = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "roster failed to answer this request; it has been logged",
        );
        p.0.internal = Some(Arc::new(error));
        p
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "the database is unreachable; retry shortly",
        )
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(fields) => Problem::invalid(fields),
            Error::NotFound(what) => Problem::not_found(what.as_str()),
            Error::Taken(fields) => {
                let mut p = Problem::new(
                    StatusCode::CONFLICT,
                    "taken",
                    "Already taken",
                    format!("already taken: {}", fields.join(", ")),
                );
                for f in fields {
                    p = p.with_field(f, "is already taken");
                }
                p
            }
            Error::Transition {
                current,
                transition,
            } => Problem::new(
                StatusCode::CONFLICT,
                "invalid-transition",
                "Status change refused",
                format!("cannot {transition} a user who is {current}"),
            )
            .with("current_status", current.as_str()),
            Error::VersionMismatch { expected, current } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "version-mismatch",
                "Precondition failed",
                format!("the user is at version {current}, not {expected}; read it again"),
            )
            .with("current_version", current),
            Error::Exists(what) => Problem::new(
                StatusCode::CONFLICT,
                "exists",
                "Already exists",
                format!("{what} already exists"),
            ),
            Error::LastAdmin => Problem::new(
                StatusCode::CONFLICT,
                "last-admin",
                "Last active admin",
                "the tenant's last active admin cannot be deactivated",
            ),
            Error::LastOwner {
                should_change_owner,
                should_be_removed,
            } => Problem::new(
                StatusCode::CONFLICT,
                "last-owner",
                "Last owner of rooms",
                "the user is the only owner of rooms; confirm with {\"relinquish\": true} to hand them over",
            )
            .with("should_change_owner", should_change_owner)
            .with("should_be_removed", should_be_removed),
            Error::Gone(reason) => Problem::new(StatusCode::GONE, "gone", "Gone", reason),
            Error::Forbidden(missing) => Problem::forbidden(missing),
            Error::BadCredentials => Problem::unauthorized("invalid email or password"),
            Error::Unavailable => Problem::unavailable(),
            Error::Conflict => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                "conflicts with an existing record",
            ),
            Error::Internal(e) => Problem::internal(e),
        }
    }
}

impl From<DomainError> for Problem {
    fn from(e: DomainError) -> Self {
        Error::from(e).into()
    }
}

impl From<FieldError> for Problem {
    fn from(e: FieldError) -> Self {
        Problem::invalid(vec![e])
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(e) = self.0.internal {
            res.extensions_mut().insert(InternalError(e));
        }
        res
    }
}

/// Every native handler answers `Result<_, Problem>`.
pub type ApiResult<T> = Result<T, Problem>;

/// Problem answers as the contract lists them, by status and description.
pub fn problem_responses(answers: &[(&str, &str)]) -> Responses {
    answers
        .iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            let response = ResponseBuilder::new()
                .description(*description)
                .content("application/problem+json", content)
                .build();
            (status.to_string(), response.into())
        })
        .collect()
}

/// How the create of a named thing (group, room, product) is refused: a taken key or name, or
/// a body that breaks a rule. Declared once, so every create documents the same answers; it
/// has no values, it only names responses for the contract.
pub enum CreateRefusals {}

impl utoipa::IntoResponses for CreateRefusals {
    fn responses() -> Responses {
        problem_responses(&[
            ("409", "The key or name is taken in this tenant"),
            (
                "422",
                "A field breaks a rule (`errors` names each), or the Idempotency-Key was used \
with another request",
            ),
        ])
    }
}

/// How an operator-only call is refused without the operator's token.
pub enum OperatorRefusal {}

impl utoipa::IntoResponses for OperatorRefusal {
    fn responses() -> Responses {
        problem_responses(&[(
            "401",
            "No operator token, a wrong one, or the operator API is disabled (no \
`ROSTER_OPERATOR_TOKEN`)",
        )])
    }
}
