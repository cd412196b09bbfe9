//! `Idempotency-Key`: a POST retried with the same key and body gets the first answer again;
//! the same key with another body is refused (422).

use super::auth::bearer_in;
use super::json::read_body;
use super::problem::Problem;
use super::AppState;
use crate::domain::idempotency::{IdempotencyClaim, StoredResponse};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Headers of an answer that a replay gives back with its body.
const REPLAYED_HEADERS: [&str; 3] = ["content-type", "etag", "location"];

/// Keys are scoped by the credential that sent them, so two callers never share one.
fn credential_scope(headers: &HeaderMap) -> Option<Vec<u8>> {
    let mut hasher = Sha256::new();
    let mut any = false;
    for name in ["authorization", "x-user-token", "x-auth-token", "api-token"] {
        if let Some(v) = headers.get(name) {
            hasher.update(name.as_bytes());
            hasher.update(b"\0");
            hasher.update(v.as_bytes());
            hasher.update(b"\0");
            any = true;
        }
    }
    any.then(|| hasher.finalize().to_vec())
}

/// Answers worth replaying: successes and client errors that the same request would get
/// again. Authentication failures, rate limits and server errors are not stored.
fn replayable(status: StatusCode) -> bool {
    status.is_success()
        || (status.is_client_error() && !matches!(status.as_u16(), 401 | 403 | 408 | 429))
}

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let key = match IdempotencyKey::of(req.headers()) {
        Ok(IdempotencyKey { key: Some(key) }) => key,
        Ok(IdempotencyKey { key: None }) => return next.run(req).await,
        Err(problem) => return problem.into_response(),
    };
    let Some(scope) = credential_scope(req.headers()) else {
        // Without credentials the request is refused anyway; nothing to remember.
        return next.run(req).await;
    };
    // Only a live key may be answered from the store: a revoked one gets its 401 from the
    // handler, never an earlier answer.
    let bearer = bearer_in(req.headers()).map(str::to_owned);
    match bearer {
        Some(key) => match state.services.authenticate_key(&key).await {
            Ok(Some(_)) => {}
            Ok(None) => return next.run(req).await,
            Err(e) => return Problem::from(e).into_response(),
        },
        None => return next.run(req).await,
    }
    let (parts, body) = match read_body(req).await {
        Ok(read) => read,
        Err(e) => return Problem::from(e).into_response(),
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    hasher.update(parts.uri.path_and_query().map_or("", |p| p.as_str()));
    hasher.update(b"\n");
    hasher.update(&body);
    let request_hash = hasher.finalize().to_vec();

    let services = &state.services;
    match services
        .claim_idempotency_key(&scope, &key, &request_hash)
        .await
    {
        Err(e) => Problem::from(e).into_response(),
        Ok(IdempotencyClaim::InProgress) => Problem::new(
            StatusCode::CONFLICT,
            "idempotency-in-progress",
            "Request in progress",
            "a request with this Idempotency-Key is still running; retry shortly",
        )
        .into_response(),
        Ok(IdempotencyClaim::Mismatch) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-mismatch",
            "Idempotency-Key reused",
            "this Idempotency-Key was used with a different request",
        )
        .with_field("Idempotency-Key", "was used with a different request")
        .into_response(),
        Ok(IdempotencyClaim::Done(stored)) => replay(stored),
        Ok(IdempotencyClaim::Claimed) => {
            let res = next.run(Request::from_parts(parts, Body::from(body))).await;
            let (mut res_parts, res_body) = res.into_parts();
            // Roster's own answers are small JSON documents.
            let bytes = axum::body::to_bytes(res_body, usize::MAX)
                .await
                .unwrap_or_default();
            let outcome = if replayable(res_parts.status) {
                let stored = StoredResponse {
                    status: res_parts.status.as_u16(),
                    headers: REPLAYED_HEADERS
                        .iter()
                        .filter_map(|name| {
                            let value = res_parts.headers.get(*name)?.to_str().ok()?;
                            Some(((*name).to_owned(), value.to_owned()))
                        })
                        .collect(),
                    body: bytes.to_vec(),
                };
                services
                    .complete_idempotency_key(&scope, &key, &stored)
                    .await
            } else {
                services.release_idempotency_key(&scope, &key).await
            };
            if let Err(e) = outcome {
                // The change itself is committed; a retry after the claim goes stale runs again.
                tracing::warn!(error = %e, "could not record the idempotent answer");
            }
            res_parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(res_parts, Body::from(bytes))
        }
    }
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut res = (status, stored.body).into_response();
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(&value)) {
            res.headers_mut().insert(name, value);
        }
    }
    res.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

/// The `Idempotency-Key` header: what the middleware reads, and what the contract shows on
/// every POST it guards (see [`document`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// A client-chosen key (1-255 characters). A retry with the same key and body gets the
    /// first answer again (with `Idempotent-Replayed: true`); the same key with another body
    /// is a 422; while the first request still runs, a 409. Kept 24 hours.
    // A header is absent or a string, never null: hence `value_type` and `required`.
    #[param(
        rename = "Idempotency-Key",
        value_type = String,
        required = false,
        min_length = 1,
        max_length = 255,
        example = "order-8812-suspend"
    )]
    key: Option<String>,
}

impl IdempotencyKey {
    /// The request's key, if it sent one; a key that is not 1 to 255 visible ASCII
    /// characters is malformed (400).
    fn of(headers: &HeaderMap) -> Result<Self, Problem> {
        let Some(raw) = headers.get(IDEMPOTENCY_KEY) else {
            return Ok(Self { key: None });
        };
        match raw.to_str() {
            Ok(k) if (1..=255).contains(&k.len()) => Ok(Self {
                key: Some(k.to_owned()),
            }),
            _ => Err(Problem::malformed(
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .with_field(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )),
        }
    }
}

/// Documents `Idempotency-Key` on every POST of `routes`: the routes the middleware guards.
pub fn document<S: Clone + Send + Sync + 'static>(
    mut routes: OpenApiRouter<S>,
) -> OpenApiRouter<S> {
    let header = IdempotencyKey::into_params(|| Some(ParameterIn::Header));
    for item in routes.get_openapi_mut().paths.paths.values_mut() {
        if let Some(op) = item.post.as_mut() {
            op.parameters
                .get_or_insert_with(Vec::new)
                .extend(header.iter().cloned());
        }
    }
    routes
}

/// Every POST that takes `Idempotency-Key` can answer 400 for a malformed key and 409 while
/// an earlier request with the same key still runs (see [`idempotency`]), whatever its own
/// 400s and 409s are. Runs on the finished document, after the common errors.
pub fn document_errors(doc: &mut OpenApi) {
    const IN_PROGRESS: &str =
        "A request with this Idempotency-Key is still running (`idempotency-in-progress`)";
    for item in doc.paths.paths.values_mut() {
        let Some(op) = item.post.as_mut() else {
            continue;
        };
        let keyed = op
            .parameters
            .iter()
            .flatten()
            .any(|p| p.name == "Idempotency-Key");
        if !keyed {
            continue;
        }
        if let Some(RefOr::T(response)) = op.responses.responses.get_mut("400") {
            response.description = format!(
                "{}; or `Idempotency-Key` is not 1 to 255 visible ASCII characters",
                response.description
            );
        }
        match op.responses.responses.get_mut("409") {
            Some(RefOr::T(response)) => {
                response.description = format!(
                    "{}; or a request with this Idempotency-Key is still running \
(`idempotency-in-progress`)",
                    response.description
                );
            }
            Some(RefOr::Ref(_)) => {}
            None => {
                op.responses.responses.insert(
                    "409".to_owned(),
                    RefOr::T(
                        ResponseBuilder::new()
                            .description(IN_PROGRESS)
                            .content(
                                "application/problem+json",
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("Problem")))
                                    .build(),
                            )
                            .build(),
                    ),
                );
            }
        }
    }
}
