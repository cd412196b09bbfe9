//! Vendor dialects. Each translates one vendor's wire format to roster's service layer and
//! back, with its own error envelope; no business rule lives here. Every dialect is served at
//! the vendor's paths at the root and under the tenant base URL `/t/{tenant}`, and owns its
//! path prefixes there: whatever no handler takes under them (an unknown path, a wrong
//! method) answers in its envelope. What dialects share is in [`kit`].

pub mod kit;
mod publica;
mod regpack;
mod rocketchat;
mod scim;
mod village;

use super::AppState;
use axum::Router;
use utoipa::openapi::OpenApi;

/// The tenant base URL: every dialect is served under it too.
const TENANT_BASE: &str = "/t/{tenant}";

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(village::router())
        .merge(publica::router(state))
        .merge(rocketchat::router())
        .merge(regpack::router())
        .merge(scim::router())
}

/// The dialects' part of the contract: each documents its vendor's paths at the root.
pub fn openapi() -> OpenApi {
    let mut doc = OpenApi::default();
    for part in [
        village::openapi(),
        rocketchat::openapi(),
        publica::openapi(),
        regpack::openapi(),
        scim::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}
