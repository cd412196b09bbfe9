//! Vendor dialects. Each translates one vendor's wire format to roster's service layer and
//! back, with its own error envelope; no business rule lives here. Every dialect is served at
//! the vendor's paths at the root and under the tenant base URL `/t/{tenant}`.

mod publica;
mod regpack;
mod rocketchat;
mod village;

use super::AppState;
use axum::Router;
use utoipa::openapi::OpenApi;

pub fn router(state: AppState) -> Router<AppState> {
    let dialects = Router::new()
        .merge(village::router())
        .merge(rocketchat::router())
        .merge(publica::router(state))
        .merge(regpack::router());
    Router::new()
        .merge(dialects.clone())
        .nest("/t/{tenant}", dialects)
}

/// The dialects' part of the contract: each documents its vendor's paths at the root.
pub fn openapi() -> OpenApi {
    let mut doc = OpenApi::default();
    for part in [
        village::openapi(),
        rocketchat::openapi(),
        publica::openapi(),
        regpack::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}
