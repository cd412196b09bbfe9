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
    let Some(raw_key) = req.headers().get(IDEMPOTENCY_KEY) else {
        return next.run(req).await;
    };
    let key = match raw_key.to_str() {
        Ok(k) if (1..=255).contains(&k.len()) => k.to_owned(),
        _ => {
            return Problem::malformed("Idempotency-Key must be 1 to 255 visible ASCII characters")
                .with_field(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                )
                .into_response()
        }
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

/// The `Idempotency-Key` header, as the contract shows it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Read from the headers by the middleware; this type only documents it.
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
    idempotency_key: Option<String>,
}
