//! HTTP: router assembly, middleware, and the APIs (native `/v1`; vendor dialects).

pub mod auth;
mod console;
mod dialects;
mod idempotency;
pub mod json;
mod keep_alive;
mod native;
pub mod openapi;
mod path;
pub mod problem;
pub mod tenancy;

use crate::service::Services;
use axum::extract::Request;
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use problem::{InternalError, Problem};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    /// SHA-256 of `ROSTER_OPERATOR_TOKEN`; None disables the operator API.
    pub operator_token_hash: Option<Arc<Vec<u8>>>,
    /// Browsers reach roster over https (`ROSTER_PUBLIC_URL` is https): console cookies are
    /// `Secure` whatever the proxy says.
    pub public_https: bool,
}

impl AppState {
    pub fn new(services: Services, operator_token: Option<&str>) -> Self {
        Self {
            services,
            operator_token_hash: operator_token
                .filter(|t| !t.is_empty())
                .map(|t| Arc::new(crate::service::secrets::hash(t))),
            public_https: false,
        }
    }

    /// The same state for a roster whose browsers come through `public_url`.
    pub fn with_public_url(self, public_url: &str) -> Self {
        Self {
            public_https: public_url.starts_with("https://"),
            ..self
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(native::router(state.clone()))
        .merge(dialects::router(state.clone()))
        .merge(openapi::router())
        .merge(console::router())
        .fallback(|| async { Problem::not_found("route") })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this route does not answer that method",
            )
        })
        .with_state(state)
        .layer(middleware::from_fn(log_internal_errors))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::from(crate::service::Error::Internal(anyhow::anyhow!("a handler panicked"))).into_response()
        }))
        .layer(middleware::from_fn(keep_alive::finish_unread_bodies))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Logs the error behind every 500 once, inside the request's span.
async fn log_internal_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if let Some(InternalError(e)) = res.extensions().get::<InternalError>() {
        tracing::error!(error = ?e, "request failed");
    } else if res.status() == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!("answered 503: database unavailable");
    }
    res
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish. Production and tests
/// both start roster through here.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    spawn_housekeeping(state.services.clone());
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Periodic clean-up that any roster process may do: forgetting old idempotency keys and
/// rate-limit windows.
fn spawn_housekeeping(services: Services) {
    tokio::spawn(async move {
        // The first clean-up an hour after start, not at start: a restart loop must not turn
        // into a clean-up loop, and a fresh process has nothing old of its own to forget.
        let period = Duration::from_secs(3600);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tick.tick().await;
            if let Err(e) = services.expire_idempotency_keys().await {
                tracing::warn!(error = %e, "expiring idempotency keys failed");
            }
            if let Err(e) = services.forget_old_rate_windows().await {
                tracing::warn!(error = %e, "forgetting rate-limit windows failed");
            }
        }
    });
}
