//! The per-key rate limit of this dialect: every answer says where the key stands; past the
//! limit the call is refused before it reaches a handler.

use super::error::PublicaError;
use super::TOKEN_HEADER;
use crate::domain::rate_limit::RateWindow;
use crate::http::AppState;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Each API counts its own budget; this is the Publica.la dialect's.
const SCOPE: &str = "publica";

/// The limit and what is left of it; once nothing is left, also when the window resets.
pub fn limit_headers(headers: &mut HeaderMap, w: &RateWindow) {
    headers.insert("x-ratelimit-limit", w.limit.into());
    headers.insert("x-ratelimit-remaining", w.remaining.into());
    if w.remaining == 0 {
        headers.insert("x-ratelimit-reset", w.resets_at.into());
    }
}

/// Counts the call against the presented token, valid or not (so guessing keys is limited
/// too). A call without a token has no budget to count and is answered 401 by the handler.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let Some(token) = token else {
        return next.run(req).await;
    };
    let limit = state.services.settings().publica_rate_limit;
    let window = match state.services.count_call(SCOPE, &token, limit).await {
        Ok(w) => w,
        Err(e) => return PublicaError::from(e).into_response(),
    };
    if !window.allowed {
        return PublicaError::too_many(window).into_response();
    }
    let mut res = next.run(req).await;
    limit_headers(res.headers_mut(), &window);
    res
}
